import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, type Provider } from '@nestjs/common';
import {
  ClientsModule,
  MessagePattern,
  type ClientProxy,
  Transport,
  type ClientProvider,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import amqp from 'amqplib';
import {
  HealthService,
  MicroserviceClientHealthIndicator,
  MicroserviceServerHealthIndicator,
  type CheckReport,
} from '../lib/index.js';
import { createTestApp, startUpFailure } from './support/app.js';
import {
  describeWithServer,
  endpoint,
  freePort,
  SERVERS,
  via,
  type ServerName,
} from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The microservice indicators against the real brokers, with real Nest clients and servers of
 * `@nestjs/microservices` in a hybrid application. The client under test and the server under
 * test each connect through a TCP proxy of the test's own; the other side goes straight to the
 * broker. Patterns, channels, topics and queues carry this run's id; the shared servers are never
 * touched.
 */

const RUN = `nestjs-probes-${process.pid}-${Date.now()}`;
const PATTERN = `${RUN}.health`;
const TIMEOUT_MS = 300;
/** Well under the timeout: a check that fails fast does not wait for the network. */
const FAST_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`);
    await sleep(10);
  }
}

async function entry(app: INestApplication, name: string): Promise<CheckReport> {
  const report = await app.get(HealthService).check('ready');
  const found = report.checks?.[`${name}:responseTime`]?.[0];
  if (!found) throw new Error(`no "${name}" check in ${JSON.stringify(report)}`);
  return found;
}

async function entryUntil(
  app: INestApplication,
  name: string,
  accept: (entry: CheckReport) => boolean,
  withinMs = 5000,
): Promise<CheckReport> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const current = await entry(app, name);
    if (accept(current)) return current;
    if (Date.now() > deadline) {
      throw new Error(`after ${withinMs} ms, "${name}" is still ${JSON.stringify(current)}`);
    }
    await sleep(20);
  }
}

/** The service's side: answers the health pattern. */
@Controller()
class HealthAnswer {
  @MessagePattern(PATTERN)
  health() {
    return { ok: true };
  }
}

/** A Nest transport, as each case configures it: one side through a proxy, the other direct. */
interface Subject {
  transport: Transport;
  title: string;
  /** The broker the transport needs; TCP needs none. */
  server?: ServerName;
  /** Client or server options of the transport, reaching the broker at `host:port`. */
  options(host: string, port: number): Record<string, unknown>;
  /** What a passing check's details hold. */
  details: Record<string, unknown>;
  /** The output of a check while its connection is down and the transport reconnects. */
  down: RegExp;
}

const queue = `${RUN}.rmq`;
const queueOptions = { durable: false, autoDelete: true };
const brokerUrl = (name: ServerName, host: string, port: number) => via(name, port, host);

const subjects: Subject[] = [
  {
    transport: Transport.REDIS,
    title: 'Redis',
    server: 'redis',
    options: (host, port) => ({ host, port, retryAttempts: 1_000_000, retryDelay: 50 }),
    details: { transport: 'redis', status: 'connected' },
    down: /^not connected \(status: (reconnecting|disconnected)/,
  },
  {
    transport: Transport.NATS,
    title: 'NATS',
    server: 'nats',
    options: (host, port) => ({
      servers: [brokerUrl('nats', host, port)],
      reconnectTimeWait: 50,
      maxReconnectAttempts: -1,
    }),
    details: { transport: 'nats', status: 'connected', server: expect.stringMatching(/:\d+$/) },
    down: /^not connected \(status: (reconnecting|disconnected)/,
  },
  {
    transport: Transport.RMQ,
    title: 'RabbitMQ',
    server: 'amqp',
    options: (host, port) => ({
      urls: [brokerUrl('amqp', host, port)],
      queue,
      queueOptions,
      socketOptions: { reconnectTimeInSeconds: 0.05 },
    }),
    details: { transport: 'rmq', status: 'connected', queue, consumerCount: 1 },
    down: /^not connected \(status: disconnected/,
  },
  {
    transport: Transport.MQTT,
    title: 'MQTT',
    server: 'mqtt',
    options: (host, port) => ({ url: `mqtt://${host}:${port}`, reconnectPeriod: 50 }),
    details: { transport: 'mqtt', status: 'connected', topic: expect.stringMatching(/^health\//) },
    down: /^not connected \(status: (reconnecting|closed|disconnected)/,
  },
];

/** The TCP transport: the client's peer is the service itself, behind the proxy. */
const tcp: Subject = {
  transport: Transport.TCP,
  title: 'TCP',
  options: (host, port) => ({ host, port }),
  details: { transport: 'tcp', status: 'connected' },
  down: /^(not connected \(status: disconnected\)|connect ECONNREFUSED)/,
};

const CLIENT = 'ORDERS';

/** The latest status of the app's client, as the test sees it. */
function watchStatus(app: INestApplication) {
  const state: { value?: string; stop(): void } = { stop: () => undefined };
  const subscription = app
    .get<ClientProxy>(CLIENT)
    .status.subscribe((value) => (state.value = String(value)));
  state.stop = () => subscription.unsubscribe();
  return state;
}
const check = { timeoutMs: TIMEOUT_MS, cacheTtlMs: 0 };

/** A hybrid application: HTTP, a client of the service, and the service's own server. */
async function hybrid(
  transport: Transport,
  client: Record<string, unknown>,
  server: Record<string, unknown> | undefined,
  providers: Provider[],
): Promise<INestApplication> {
  const app = await createTestApp({
    init: false,
    imports: [
      ClientsModule.register([
        { name: CLIENT, transport, options: client } as ClientProvider & { name: string },
      ]),
    ],
    controllers: [HealthAnswer],
    providers,
  });
  if (server !== undefined) {
    app.connectMicroservice<MicroserviceOptions>({
      transport,
      options: server,
    } as MicroserviceOptions);
    await app.startAllMicroservices();
  }
  await app.init();
  return app;
}

function transportSuite(subject: Subject): void {
  let proxy: TcpProxy;
  let running: INestApplication | undefined;
  /** Where the side not under test connects: the broker, or the TCP service. */
  let direct: { host: string; port: number };

  beforeAll(async () => {
    direct = subject.server
      ? endpoint(subject.server)
      : { host: '127.0.0.1', port: await freePort() };
    proxy = await new TcpProxy(direct).start();
  });

  afterEach(async () => {
    // Healed first: a client closing through a refusing proxy may wait for its reconnection.
    await proxy.heal();
    await running?.close();
    running = undefined;
    await until(() => proxy.openSockets === 0, 'every socket through the proxy to close');
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  /** The client through the proxy; the server straight to the broker (TCP: the server behind it). */
  async function startClient(settings: Record<string, unknown> = { pattern: PATTERN }) {
    running = await hybrid(
      subject.transport,
      subject.options('127.0.0.1', proxy.port),
      subject.options(direct.host, direct.port),
      [
        MicroserviceClientHealthIndicator.register({
          client: CLIENT,
          name: 'orders',
          ...check,
          ...settings,
        }),
      ],
    );
    return running;
  }

  it('client: passes on the application’s one connection, and the service answers the pattern', async () => {
    const app = await startClient();
    const first = await entryUntil(app, 'orders', (e) => e.status === 'pass');
    expect(first).toMatchObject({
      componentId: 'orders',
      componentType: 'component',
      observedUnit: 'ms',
      details: { ...subject.details, pattern: PATTERN },
    });
    expect(first.output).toBeUndefined();
    const accepted = proxy.accepted;
    for (let i = 0; i < 3; i++) expect((await entry(app, 'orders')).status).toBe('pass');
    // The client's one connection: none per check.
    expect(proxy.accepted).toBe(accepted);
  });

  it('client: without a pattern, checks the client’s own connection only', async () => {
    const app = await startClient({});
    const first = await entryUntil(app, 'orders', (e) => e.status === 'pass');
    expect(first.details).toEqual(expect.objectContaining(subject.details));
    expect(first.details).not.toHaveProperty('pattern');
  });

  it('client: fails fast while refused, at its timeout in a black hole, and recovers', async () => {
    const app = await startClient();
    await entryUntil(app, 'orders', (e) => e.status === 'pass');
    const status = watchStatus(app);
    await proxy.refuse();
    // Probed once the client has seen its connection go: a message sent in between may be lost
    // by the client library itself (ClientRedis leaves such a publish's rejection unhandled).
    await until(() => status.value !== 'connected', 'the client to see its connection go');
    status.stop();
    const refused = await entryUntil(app, 'orders', (e) => subject.down.test(e.output ?? ''));
    expect(refused.status).toBe('fail');
    expect(refused.observedValue).toBeLessThan(FAST_MS);
    await proxy.heal();
    await entryUntil(app, 'orders', (e) => e.status === 'pass');

    proxy.blackhole();
    const hung = await entryUntil(app, 'orders', (e) => e.status === 'fail');
    expect(hung.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    // Bounded by the timeout, with room for a loaded machine's scheduling.
    expect(hung.observedValue).toBeLessThan(TIMEOUT_MS + 1000);
    await proxy.refuse();
    await proxy.heal();
    await entryUntil(app, 'orders', (e) => e.status === 'pass');
  });
}

/** The server under test reaches its broker through the proxy. */
function serverSuite(subject: Subject & { server: ServerName }): void {
  let proxy: TcpProxy;
  let running: INestApplication | undefined;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint(subject.server)).start();
  });

  afterEach(async () => {
    await proxy.heal();
    await running?.close();
    running = undefined;
    await until(() => proxy.openSockets === 0, 'every socket through the proxy to close');
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  it('server: passes while connected, fails at once when its broker connection drops, and recovers', async () => {
    const { host, port } = endpoint(subject.server);
    const app = await hybrid(
      subject.transport,
      subject.options(host, port),
      subject.options('127.0.0.1', proxy.port),
      [
        MicroserviceServerHealthIndicator.register({
          name: 'consumer',
          transport: subject.transport,
          ...check,
        }),
      ],
    );
    running = app;
    const passing = await entryUntil(app, 'consumer', (e) => e.status === 'pass');
    expect(passing.details).toMatchObject(subject.details);

    await proxy.refuse();
    const dropped = await entryUntil(app, 'consumer', (e) => subject.down.test(e.output ?? ''));
    expect(dropped.status).toBe('fail');
    await proxy.heal();
    await entryUntil(app, 'consumer', (e) => e.status === 'pass');

    proxy.blackhole();
    const hung = await entryUntil(app, 'consumer', (e) => e.status === 'fail');
    expect(hung.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    await proxy.refuse();
    await proxy.heal();
    await entryUntil(app, 'consumer', (e) => e.status === 'pass');
  });
}

for (const subject of subjects) {
  await describeWithServer(subject.server!, `Microservice indicators over ${subject.title}`, () => {
    transportSuite(subject);
    serverSuite(subject as Subject & { server: ServerName });
  });
}

describe('Microservice indicators over TCP', () => {
  transportSuite(tcp);

  it('server: passes while the TCP server listens, and fails once it is closed', async () => {
    const port = await freePort();
    const app = await hybrid(
      Transport.TCP,
      { host: '127.0.0.1', port },
      { host: '127.0.0.1', port },
      [MicroserviceServerHealthIndicator.register({ name: 'consumer', ...check })],
    );
    try {
      expect(await entry(app, 'consumer')).toMatchObject({
        status: 'pass',
        details: { transport: 'tcp', status: 'connected', port },
      });
      await app.getMicroservices()[0].getTransportServer().close();
      const closed = await entryUntil(app, 'consumer', (e) => e.status === 'fail');
      expect(closed.output).toMatch(/^(not listening|not connected \(status: disconnected\))$/);
    } finally {
      await app.close();
    }
  });
});

/** Starts an app that must fail to start, and returns why. */
describe('Microservice indicators: start-up errors', () => {
  it('says which client is missing, and how to register it', async () => {
    const message = await startUpFailure(() =>
      createTestApp({
        providers: [MicroserviceClientHealthIndicator.register({ client: 'PAYMENTS' })],
      }),
    );
    expect(message).toBe(
      'MicroserviceClientHealthIndicator(microservice) found no microservice client: nothing is provided under "PAYMENTS". Register it with ClientsModule.register([{ name: \'PAYMENTS\', transport, options }]) in this module or in a module it imports.',
    );
  });

  it('stops start-up when the application has no microservice server', async () => {
    const message = await startUpFailure(() =>
      createTestApp({
        providers: [MicroserviceServerHealthIndicator.register({ transport: Transport.RMQ })],
      }),
    );
    expect(message).toMatch(
      /^MicroserviceServerHealthIndicator\(microservice-server\) found no RMQ microservice server in this application\. Create it before the application starts: app\.connectMicroservice/,
    );
  });

  it('names a bad setting, and needs @nestjs/microservices', async () => {
    const message = await startUpFailure(() =>
      createTestApp({
        providers: [
          {
            provide: CLIENT,
            useValue: {
              connect: async () => undefined,
              unwrap: () => undefined,
              send: () => undefined,
            },
          },
          MicroserviceClientHealthIndicator.register({ client: CLIENT, pattern: '' }),
        ],
      }),
    );
    expect(message).toMatch(
      /^MicroserviceClientHealthIndicator\(microservice\): "pattern" is ""; it must be a message pattern/,
    );
    class NoMicroservicesIndicator extends MicroserviceServerHealthIndicator {
      static override readonly peer = 'not-an-installed-package-nestjs-probes' as never;
    }
    expect(() => new NoMicroservicesIndicator({})).toThrow(
      'NoMicroservicesIndicator needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
    );
  });
});

afterAll(async () => {
  // The queue is auto-deleted with its last consumer; deleted here too, whatever happened.
  if (!SERVERS.amqp) return;
  try {
    const connection = await amqp.connect(SERVERS.amqp);
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await connection.close();
  } catch {
    // No broker, or nothing to delete.
  }
});
