import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { connect as connectNats, type NatsConnection } from 'nats';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { createClient } from 'redis';
import { HealthService, Redactor, type CheckReport, type HealthReport } from '../lib/index.js';
import { MqttHealthIndicator } from '../lib/indicators/mqtt.indicator.js';
import { NatsHealthIndicator } from '../lib/indicators/nats.indicator.js';
import { RabbitMqHealthIndicator } from '../lib/indicators/rabbitmq.indicator.js';
import { RedisHealthIndicator } from '../lib/indicators/redis.indicator.js';
import { createTestApp } from './support/app.js';
import {
  describeWithBinary,
  describeWithServer,
  endpoint,
  freePort,
  via,
  type ServerName,
} from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The Redis, RabbitMQ, NATS and MQTT indicators against the real servers, each through the
 * application's own client, connected through a TCP proxy the test owns: faults go through the
 * proxy (or a throwaway redis-server), the shared servers are never touched.
 */

const CLIENT = Symbol('CLIENT');
const TOPIC_PREFIX = `nestjs-probes-${process.pid}-${Date.now()}`;
const TIMEOUT_MS = 300;
const TTL_MS = 200;
/** Well under the timeout: an indicator that fails fast does not wait for the network. */
const FAST_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ignore = () => undefined;

/** Waits until `condition` holds, or fails saying what it was waiting for. */
async function until(condition: () => boolean, what: string, withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`);
    await sleep(10);
  }
}

/** Resolves once an ioredis client is ready; its errors meanwhile are retried, not thrown. */
function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

interface Probe {
  report: HealthReport;
  entry: CheckReport;
}

/** One readiness probe, and the indicator's entry in it. */
async function probe(app: INestApplication, name: string): Promise<Probe> {
  const report = await app.get(HealthService).check('ready');
  const entry = report.checks?.[`${name}:responseTime`]?.[0];
  if (!entry) throw new Error(`no "${name}" check in ${JSON.stringify(report)}`);
  return { report, entry };
}

/** A probe that runs the indicator again, not one served from its cache. */
async function freshProbe(app: INestApplication, name: string): Promise<Probe> {
  await sleep(TTL_MS + 20);
  return probe(app, name);
}

/** Probes until `accept` holds, or fails with the last entry. */
async function probeUntil(
  app: INestApplication,
  name: string,
  accept: (entry: CheckReport) => boolean,
  withinMs = 3000,
): Promise<Probe> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await probe(app, name);
    if (accept(result.entry)) return result;
    if (Date.now() > deadline) {
      throw new Error(`after ${withinMs} ms, the check is still ${JSON.stringify(result.entry)}`);
    }
    await sleep(10);
  }
}

/** A client library, as each end-to-end case drives it. */
interface Subject<C> {
  server: ServerName;
  title: string;
  name: string;
  componentType: string;
  provider(token: symbol): Provider;
  /** What the indicator is given: the client itself, or what the test keeps around it. */
  client(connected: C): unknown;
  /** A client connected through the proxy at `url`, reconnecting quickly. */
  connect(url: string): Promise<C>;
  /** Whether the client says it is connected. */
  connected(client: C): boolean;
  /** Closes the client even when the server no longer answers. */
  close(client: C): Promise<void>;
  /** The output of a check failing fast while the server refuses connections. */
  refused: RegExp;
  /** What the entry's details say while it passes. */
  details: Record<string, unknown>;
}

const options = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };

const ioredis: Subject<Redis> = {
  server: 'redis',
  title: 'RedisHealthIndicator with ioredis',
  name: 'redis',
  componentType: 'datastore',
  provider: (client) => RedisHealthIndicator.register({ client, ...options }),
  client: (client) => client,
  async connect(url) {
    const client = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    client.on('error', ignore);
    await ready(client);
    return client;
  },
  connected: (client) => client.status === 'ready',
  close: async (client) => client.disconnect(),
  refused: /^not connected \(status: (reconnecting|connecting|connect)\)$/,
  details: { status: 'ready' },
};

const nodeRedisClient = (url: string) => createClient({ url, socket: { reconnectStrategy: 50 } });
type NodeRedis = ReturnType<typeof nodeRedisClient>;

const nodeRedis: Subject<NodeRedis> = {
  server: 'redis',
  title: 'RedisHealthIndicator with node-redis',
  name: 'redis',
  componentType: 'datastore',
  provider: (client) => RedisHealthIndicator.register({ client, ...options }),
  client: (client) => client,
  async connect(url) {
    const client = nodeRedisClient(url);
    client.on('error', ignore);
    await client.connect();
    return client;
  },
  connected: (client) => client.isReady,
  close: async (client) => {
    if (client.isOpen) client.destroy();
  },
  refused: /^not connected \(status: reconnecting\)$/,
  details: { status: 'ready' },
};

/** amqplib's recovering connection, and the connection under it, to close it by force. */
interface Amqp {
  connection: amqp.RecoveringChannelModel;
  current?: amqp.ChannelModel;
  up: boolean;
}

/** The socket under an amqplib connection; the only way to close one that no longer answers. */
function socketOf(model: amqp.ChannelModel): Socket {
  return (model.connection as unknown as { stream: Socket }).stream;
}

const rabbitmq: Subject<Amqp> = {
  server: 'amqp',
  title: 'RabbitMqHealthIndicator with a recovering amqplib connection',
  name: 'rabbitmq',
  componentType: 'component',
  provider: (client) => RabbitMqHealthIndicator.register({ client, ...options }),
  client: (state) => state.connection,
  async connect(url) {
    const connection = await amqp.connect(url, {
      recovery: { initialDelay: 50, maxDelay: 50, jitter: 0, waitForConnect: false },
    });
    const state: Amqp = { connection, up: false };
    connection.on('error', ignore);
    connection.on('connect', (model: amqp.ChannelModel) => {
      state.current = model;
      state.up = true;
    });
    connection.on('disconnect', () => (state.up = false));
    await connection.waitForConnect();
    return state;
  },
  connected: (client) => client.up,
  async close(client) {
    const closing = client.connection.close().then(
      () => true,
      () => true,
    );
    if (await Promise.race([closing, sleep(200).then(() => false)])) return;
    // Its close() waits for the broker's answer, which never comes through a black hole. A
    // socket destroyed without an error goes unnoticed by amqplib until its heartbeat times out.
    if (client.current) socketOf(client.current).destroy(new Error('closed by the test'));
  },
  refused: /^not connected \(reconnecting\): /,
  details: { exchange: 'amq.direct' },
};

interface Nats {
  connection: NatsConnection;
  up: boolean;
}

const nats: Subject<Nats> = {
  server: 'nats',
  title: 'NatsHealthIndicator',
  name: 'nats',
  componentType: 'component',
  provider: (client) => NatsHealthIndicator.register({ client, ...options }),
  client: (state) => state.connection,
  async connect(url) {
    const connection = await connectNats({
      servers: url,
      reconnectTimeWait: 50,
      reconnectJitter: 0,
      maxReconnectAttempts: -1,
    });
    const state: Nats = { connection, up: true };
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') state.up = false;
        if (status.type === 'reconnect') state.up = true;
      }
    })();
    return state;
  },
  connected: (client) => client.up,
  close: (client) => client.connection.close(),
  refused: /^not connected \(reconnecting\)$/,
  details: { server: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
};

const mqttSubject: Subject<mqtt.MqttClient> = {
  server: 'mqtt',
  title: 'MqttHealthIndicator',
  name: 'mqtt',
  componentType: 'component',
  provider: (client) => MqttHealthIndicator.register({ client, ...options }),
  client: (client) => client,
  async connect(url) {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 50, connectTimeout: 2000 });
    client.on('error', ignore);
    return client;
  },
  connected: (client) => client.connected,
  close: async (client) => {
    await client.endAsync(true);
  },
  refused: /^not connected \(reconnecting\)$/,
  details: { topic: expect.stringMatching(/^health\/mqttjs_/) },
};

/** `publish: false` (as `autoIndicators` makes it): a PINGREQ round trip, nothing published. */
const mqttPing: Subject<mqtt.MqttClient> = {
  ...mqttSubject,
  title: 'MqttHealthIndicator, publish: false',
  provider: (client) => MqttHealthIndicator.register({ client, publish: false, ...options }),
  details: { roundTrip: 'PINGREQ' },
};

/**
 * What every client goes through: a pass, a refusal and a black hole, each through the
 * application's one client, with the proxy counting the connections.
 */
function brokerSuite<C>(subject: Subject<C>): void {
  const { name } = subject;
  let proxy: TcpProxy;
  let running: INestApplication | undefined;
  let client: C | undefined;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint(subject.server)).start();
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await proxy.heal();
    if (client !== undefined) await subject.close(client);
    client = undefined;
    // Whatever the test did, once the application's client is closed nothing is left open.
    await until(() => proxy.openSockets === 0, 'every socket to close');
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  async function start(): Promise<INestApplication> {
    running = await createTestApp({
      providers: [
        {
          provide: CLIENT,
          useFactory: async () => {
            client = await subject.connect(via(subject.server, proxy.port));
            return subject.client(client);
          },
        },
        subject.provider(CLIENT),
      ],
    });
    return running;
  }

  it('passes against the real server, on the application’s one connection', async () => {
    const app = await start();
    const accepted = proxy.accepted;
    for (let i = 0; i < 3; i++) {
      const { entry } = i === 0 ? await probe(app, name) : await freshProbe(app, name);
      expect(entry).toMatchObject({
        componentId: name,
        componentType: subject.componentType,
        status: 'pass',
        observedUnit: 'ms',
      });
      expect(entry.observedValue).toBeGreaterThan(0);
      expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
      expect(entry.details).toMatchObject(subject.details);
      expect(entry.output).toBeUndefined();
    }
    // No connection of its own, whether per probe or once.
    expect(proxy.accepted).toBe(accepted);
  });

  it('fails fast when the server refuses, and passes within a TTL of the client reconnecting', async () => {
    const app = await start();
    await probeUntil(app, name, (entry) => entry.status === 'pass');
    await proxy.refuse();
    const { entry } = await probeUntil(
      app,
      name,
      (e) => e.status === 'fail' && subject.refused.test(e.output ?? ''),
    );
    expect(entry.observedValue).toBeLessThan(FAST_MS);
    const { entry: again } = await freshProbe(app, name);
    expect(again.status).toBe('fail');
    expect(again.observedValue).toBeLessThan(FAST_MS);

    await proxy.heal();
    let connectedAt: number | undefined;
    const deadline = Date.now() + 5000;
    for (;;) {
      if (connectedAt === undefined && subject.connected(client!)) connectedAt = Date.now();
      const { entry: current } = await probe(app, name);
      if (current.status === 'pass') break;
      if (Date.now() > deadline) throw new Error(`still failing: ${JSON.stringify(current)}`);
      await sleep(5);
    }
    expect(connectedAt).toBeDefined();
    // Within one cache TTL of the reconnection, plus the run that passes (bounded by its
    // timeout: a margin of the poll's own would flake on a loaded machine).
    expect(Date.now() - connectedAt!).toBeLessThanOrEqual(TTL_MS + TIMEOUT_MS);
  });

  it('fails at its timeout in a black hole, with nothing left open by the indicator', async () => {
    const app = await start();
    await probeUntil(app, name, (entry) => entry.status === 'pass');
    const accepted = proxy.accepted;
    const open = proxy.openSockets;
    proxy.blackhole();
    for (let i = 0; i < 2; i++) {
      const { entry } = await freshProbe(app, name);
      expect(entry).toMatchObject({ status: 'fail', output: `timed out after ${TIMEOUT_MS} ms` });
      expect(entry.observedValue).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      // Bounded by the timeout, with room for a loaded machine's scheduling.
      expect(entry.observedValue).toBeLessThan(TIMEOUT_MS + 1000);
    }
    expect(proxy.accepted).toBe(accepted);
    expect(proxy.openSockets).toBe(open);
    await app.close();
    await subject.close(client!);
    client = undefined;
    await until(() => proxy.openSockets === 0, 'the client’s sockets to close');
  });

  // The proxy drops what it receives in a black hole instead of holding it back, as a real
  // network would: a connection that lived through one has lost bytes for good (a Redis client
  // matches replies to the wrong commands). So the black hole ends here as a partition most
  // often does, with the connections reset, and the client reconnects.
  it('passes again after a black hole once the connections are reset', async () => {
    const app = await start();
    await probeUntil(app, name, (entry) => entry.status === 'pass');
    proxy.blackhole();
    expect((await freshProbe(app, name)).entry.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    await proxy.refuse();
    await until(() => !subject.connected(client!), 'the client to see its connection go');
    await proxy.heal();
    await until(() => subject.connected(client!), 'the client to reconnect');
    await probeUntil(app, name, (entry) => entry.status === 'pass', TTL_MS + 500);
  });
}

await describeWithServer('redis', ioredis.title, () => brokerSuite(ioredis));
await describeWithServer('redis', nodeRedis.title, () => brokerSuite(nodeRedis));
await describeWithServer('amqp', rabbitmq.title, () => brokerSuite(rabbitmq));
await describeWithServer('nats', nats.title, () => brokerSuite(nats));
await describeWithServer('mqtt', mqttSubject.title, () => brokerSuite(mqttSubject));
await describeWithServer('mqtt', mqttPing.title, () => {
  brokerSuite(mqttPing);

  it('publishes nothing: a subscriber to its topic sees only a witness sent after the checks', async () => {
    const url = via('mqtt', endpoint('mqtt').port);
    const watcher = await mqtt.connectAsync(url);
    const client = await mqtt.connectAsync(url);
    const app = await createTestApp({
      providers: [
        { provide: CLIENT, useValue: client },
        MqttHealthIndicator.register({ client: CLIENT, publish: false, cacheTtlMs: 0 }),
      ],
    });
    try {
      const seen: string[] = [];
      watcher.on('message', (topic) => seen.push(topic));
      // Where a check of this client would publish, and the witness: other runs publish elsewhere.
      const witness = `${TOPIC_PREFIX}/witness`;
      await watcher.subscribeAsync([`health/${client.options.clientId}`, witness], { qos: 1 });
      for (let i = 0; i < 3; i++) expect((await probe(app, 'mqtt')).entry.status).toBe('pass');
      // A witness, after the checks on the same connection: the broker keeps their order.
      await client.publishAsync(witness, 'seen', { qos: 1 });
      await until(() => seen.length > 0, 'the witness to be seen');
      expect(seen).toEqual([witness]);
    } finally {
      await app.close();
      await Promise.all([client.endAsync(true), watcher.endAsync(true)]);
    }
  });
});

await describeWithServer('amqp', 'RabbitMqHealthIndicator, other clients and settings', () => {
  let proxy: TcpProxy;
  let running: INestApplication | undefined;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('amqp')).start();
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await proxy.heal();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await until(() => proxy.openSockets === 0, 'every socket to close');
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  /** A plain amqplib connection through the proxy: it does not reconnect by itself. */
  async function plainConnection(): Promise<amqp.ChannelModel> {
    const connection = await amqp.connect(via('amqp', proxy.port));
    connection.on('error', ignore);
    cleanups.push(async () => {
      try {
        await connection.close();
      } catch {
        // Already closed.
      }
    });
    return connection;
  }

  async function start(client: unknown, settings: Record<string, unknown> = {}) {
    running = await createTestApp({
      providers: [
        { provide: CLIENT, useValue: client },
        RabbitMqHealthIndicator.register({ client: CLIENT, ...options, ...settings }),
      ],
    });
    return running;
  }

  it('fails fast for good once a plain connection is lost: amqplib reconnects only with `recovery`', async () => {
    const connection = await plainConnection();
    const app = await start(connection);
    expect((await probe(app, 'rabbitmq')).entry.status).toBe('pass');
    await proxy.refuse();
    const { entry } = await probeUntil(app, 'rabbitmq', (e) => e.status === 'fail');
    expect(entry.output).toMatch(/^connection closed/);
    expect(entry.observedValue).toBeLessThan(FAST_MS);
    // A plain amqplib connection stays closed: the application has to open another one. The
    // indicator says so, fast, instead of waiting for what cannot come back.
    await proxy.heal();
    const { entry: later } = await freshProbe(app, 'rabbitmq');
    expect(later.output).toBe(entry.output);
    expect(later.observedValue).toBeLessThan(FAST_MS);
  });

  it('checks on the application’s channel when given one, and fails fast once it is closed', async () => {
    const connection = await plainConnection();
    const channel = await connection.createChannel();
    const app = await start(channel);
    const { entry } = await probe(app, 'rabbitmq');
    expect(entry).toMatchObject({ status: 'pass', details: { exchange: 'amq.direct' } });
    await proxy.refuse();
    const { entry: failed } = await probeUntil(app, 'rabbitmq', (e) => e.status === 'fail');
    expect(failed.output).toBe('channel closed');
    expect(failed.observedValue).toBeLessThan(FAST_MS);
  });

  it('opens one channel of its own, again after the broker closes it, and lets go on close', async () => {
    const connection = await plainConnection();
    const accepted = proxy.accepted;
    const before = connection.listenerCount('close');
    const app = await start(connection, { exchange: 'nestjs-probes.missing' });
    const { entry } = await probe(app, 'rabbitmq');
    expect(entry.status).toBe('fail');
    expect(entry.output).toMatch(/404 \(NOT-FOUND\).*no exchange 'nestjs-probes\.missing'/);
    // The broker closed that channel; the next run opens another, on the same connection.
    const { entry: again } = await freshProbe(app, 'rabbitmq');
    expect(again.output).toBe(entry.output);
    expect(proxy.accepted).toBe(accepted);
    await until(
      () => connection.listenerCount('close') === before + 1,
      "one 'close' listener of the indicator's, whatever the channels it opened",
    );
    await app.close();
    await until(
      () => connection.listenerCount('close') === before,
      "the indicator's 'close' listener to go",
    );
    // The connection is still the application's, and usable.
    await (await connection.createChannel()).checkExchange('amq.direct');
  });

  it('fails with the broker’s reason on wrong credentials, never showing the password', async () => {
    const password = 'WrongPass4Probes';
    const url = new URL(via('amqp', proxy.port));
    url.password = password;
    // A recovering connection does not wait for its first connection: the application starts,
    // and the indicator reports why the broker turns it away.
    const connection = await amqp.connect(url.toString(), {
      recovery: { initialDelay: 50, maxDelay: 50, jitter: 0, waitForConnect: false },
    });
    connection.on('error', ignore);
    cleanups.push(() => connection.close());
    const app = await start(connection);
    const { report, entry } = await probeUntil(app, 'rabbitmq', (e) =>
      /ACCESS-REFUSED/.test(e.output ?? ''),
    );
    expect(entry.status).toBe('fail');
    expect(entry.output).toMatch(/^not connected \(reconnecting\): Handshake terminated by server/);
    expect(entry.observedValue).toBeLessThan(FAST_MS);
    expect(JSON.stringify(report)).not.toContain(password);
    // amqplib does not put the URL in its message; were a message to, the redactor masks it.
    const leaky = `connect to ${url.toString()} failed: ${entry.output}`;
    expect(leaky).toContain(password);
    expect(new Redactor().output(leaky)).not.toContain(password);
  });
});

// A throwaway redis-server of its own, with a password, on a free port.
describeWithBinary('redis-server', 'RedisHealthIndicator with wrong credentials', () => {
  const secret = 'S3cretPassw0rd';
  const wrong = 'WrongPass4Probes';
  let server: ChildProcess | undefined;
  let port: number;
  let running: INestApplication | undefined;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'].concat(
        '--requirepass',
        secret,
      ),
      { stdio: 'ignore' },
    );
    // Up once a client with the right password is ready.
    const first = new Redis({ port, password: secret, retryStrategy: () => 20 });
    first.on('error', ignore);
    try {
      await Promise.race([
        ready(first),
        once(server, 'exit').then(() => Promise.reject(new Error('redis-server exited'))),
      ]);
    } finally {
      first.disconnect();
    }
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  async function start(client: unknown) {
    running = await createTestApp({
      providers: [
        { provide: CLIENT, useValue: client },
        RedisHealthIndicator.register({ client: CLIENT, ...options }),
      ],
    });
    return running;
  }

  it('ioredis: fails with the server’s reason, never showing the password', async () => {
    const client = new Redis({
      port,
      password: wrong,
      lazyConnect: true,
      retryStrategy: () => 50,
      // Closed while reconnecting, ioredis waits this long for a socket already gone (2 s).
      disconnectTimeout: 50,
    });
    client.on('error', ignore);
    cleanups.push(() => client.disconnect());
    const app = await start(client);
    // Its first PING connects the lazy client, and fails with the server's answer; the next
    // runs fail fast while it keeps trying.
    const { report, entry } = await probe(app, 'redis');
    expect(entry.status).toBe('fail');
    expect(entry.output).toMatch(/^WRONGPASS /);
    expect(JSON.stringify(report)).not.toContain(wrong);
    const { report: later } = await probeUntil(app, 'redis', (e) =>
      (e.output ?? '').startsWith('not connected'),
    );
    expect(JSON.stringify(later)).not.toContain(wrong);
  });

  it('node-redis: fails fast while refused, never showing the password', async () => {
    const client = createClient({
      url: `redis://:${wrong}@127.0.0.1:${port}`,
      socket: { reconnectStrategy: 50 },
    });
    client.on('error', ignore);
    // connect() does not settle while the server turns the client away: not awaited.
    client.connect().catch(ignore);
    cleanups.push(() => client.destroy());
    const app = await start(client);
    const { report, entry } = await probe(app, 'redis');
    expect(entry).toMatchObject({ status: 'fail', output: 'not connected (status: connecting)' });
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  it('passes with the right password', async () => {
    const client = createClient({ url: `redis://:${secret}@127.0.0.1:${port}` });
    client.on('error', ignore);
    await client.connect();
    cleanups.push(() => client.destroy());
    const app = await start(client);
    const { report, entry } = await probe(app, 'redis');
    expect(entry.status).toBe('pass');
    expect(JSON.stringify(report)).not.toContain(secret);
  });
});
