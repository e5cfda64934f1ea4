import { describe, expect, it } from '@jest/globals';
import type { FactoryProvider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import { BehaviorSubject, ReplaySubject } from 'rxjs';
import { MicroserviceClientHealthIndicator } from './microservice-client.indicator.js';
import { MicroserviceServerHealthIndicator } from './microservice-server.indicator.js';
import { NotConnected, TransportProbe } from './support/transport.probe.js';

const signal = () => new AbortController().signal;
const redis = (status = 'ready') => ({ status, ping: async () => 'PONG' });

/** An amqp-connection-manager as the RMQ transports unwrap it, with a queue of `consumers`. */
function rmq(consumers: number, connected = true) {
  const channel = {
    checkQueue: async () => ({ messageCount: 3, consumerCount: consumers }),
    checkExchange: async () => ({}),
    close: async () => undefined,
    on: () => undefined,
  };
  return {
    isConnected: () => connected,
    createChannel: () => undefined,
    connection: { createChannel: async () => channel },
  };
}

function client(handle: unknown, status = 'connected', extra: object = {}) {
  return {
    connect: async () => undefined,
    unwrap: <T>() => handle as T,
    send: () => ({ subscribe: () => ({ unsubscribe: () => undefined }) }),
    status: new BehaviorSubject(status),
    ...extra,
  };
}

describe('TransportProbe', () => {
  it('fails at once, without a round trip, on a connection that is down', () => {
    const probe = new TransportProbe();
    expect(() => probe.assertUp([redis(), redis('reconnecting')])).toThrow(
      new NotConnected('not connected (status: reconnecting)'),
    );
    expect(() =>
      probe.assertUp({ connected: false, reconnecting: true, publish: () => undefined }),
    ).toThrow('not connected (reconnecting)');
    expect(() => probe.assertUp(rmq(1, false))).toThrow('not connected (reconnecting)');
    expect(() => probe.assertUp({ listening: false, address: () => null })).toThrow(
      'not listening',
    );
  });

  it('publishes nothing on MQTT when told not to: a PINGREQ round trip instead', async () => {
    const events = new EventEmitter();
    const mqtt = Object.assign(events, {
      connected: true,
      publish: () => {
        throw new Error('published');
      },
      sendPing: () => setImmediate(() => events.emit('packetreceive', { cmd: 'pingresp' })),
    });
    await expect(new TransportProbe(undefined, undefined, false).roundTrip(mqtt)).resolves.toEqual({
      transport: 'mqtt',
      details: { roundTrip: 'PINGREQ' },
    });
  });

  it('counts the consumers of the RabbitMQ queue, and warns when there is none', async () => {
    await expect(new TransportProbe('orders').roundTrip(rmq(2))).resolves.toEqual({
      transport: 'rmq',
      details: { queue: 'orders', messageCount: 3, consumerCount: 2 },
    });
    await expect(new TransportProbe('orders').roundTrip(rmq(0))).resolves.toMatchObject({
      warn: 'no consumer on queue "orders"',
    });
  });
});

describe('MicroserviceClientHealthIndicator', () => {
  it('says the status of the client when its connection is down', async () => {
    const indicator = new MicroserviceClientHealthIndicator({
      client: client([redis('reconnecting')], 'reconnecting'),
    });
    await expect(indicator.check(signal())).rejects.toThrow('not connected (status: reconnecting)');
    indicator.onModuleDestroy();
  });

  it('warns while the broker blocks the connection, and while nobody consumes its queue', async () => {
    const blocked = new MicroserviceClientHealthIndicator({ client: client([redis()], 'blocked') });
    await expect(blocked.check(signal())).resolves.toMatchObject({
      status: 'warn',
      output: 'the broker blocked the connection (resource alarm)',
    });
    const unconsumed = new MicroserviceClientHealthIndicator({
      client: client(rmq(0), 'connected', { queue: 'orders' }),
    });
    await expect(unconsumed.check(signal())).resolves.toMatchObject({
      status: 'warn',
      output: 'no consumer on queue "orders"',
    });
  });

  it('refuses Kafka and gRPC clients at start-up, which nothing here could test', () => {
    expect(
      () =>
        new MicroserviceClientHealthIndicator({
          client: client(undefined, 'connected', { subscribeToResponseOf: () => undefined }),
        }),
    ).toThrow(
      /^MicroserviceClientHealthIndicator does not support Kafka yet\. Cover it with an indicator of your own, or keep terminus' check through TerminusHealthIndicator/,
    );
    expect(
      () =>
        new MicroserviceClientHealthIndicator({
          client: client(undefined, 'connected', { getService: () => undefined }),
        }),
    ).toThrow(/does not support gRPC yet/);
  });
});

/** A transport server as Nest's registry gives it, with its status so far. */
const server = (transportId: number, handle: unknown, status?: string) => {
  const status$ = new ReplaySubject<string>(1);
  if (status !== undefined) status$.next(status);
  return { transportId, status: status$, unwrap: () => handle };
};

describe('MicroserviceServerHealthIndicator', () => {
  it('reports each of several servers, and fails with the one that is down', async () => {
    const servers = new ReplaySubject<unknown>();
    servers.next(server(1, [redis()], 'connected'));
    servers.next(server(5, rmq(1), 'disconnected'));
    const indicator = new MicroserviceServerHealthIndicator({ servers });
    indicator.onApplicationBootstrap();
    const result = await indicator.check(signal());
    expect(result).toMatchObject({
      status: 'fail',
      output: 'rmq: not connected (status: disconnected)',
      details: {
        servers: [
          { transport: 'redis', status: 'connected' },
          { transport: 'rmq', status: 'disconnected' },
        ],
      },
    });
    indicator.onModuleDestroy();
  });

  it('fails a RabbitMQ server whose own queue lost its consumer, and one not started yet', async () => {
    const servers = new ReplaySubject<unknown>();
    servers.next(Object.assign(server(5, rmq(0), 'connected'), { queue: 'orders' }));
    const indicator = new MicroserviceServerHealthIndicator({ servers });
    await expect(indicator.check(signal())).resolves.toMatchObject({
      status: 'fail',
      output: 'no consumer on queue "orders"',
    });
    const idle = new ReplaySubject<unknown>();
    idle.next(server(2, undefined));
    await expect(
      new MicroserviceServerHealthIndicator({ servers: idle }).check(signal()),
    ).resolves.toMatchObject({
      output: 'not started (app.startAllMicroservices() or listen() not called yet)',
    });
  });

  it('watches the servers it is given, or else the application’s own, from Nest’s registry', async () => {
    const servers = new ReplaySubject<unknown>();
    servers.next(server(1, [redis()], 'connected'));
    const given = MicroserviceServerHealthIndicator.register({ servers }) as FactoryProvider;
    expect(given.inject).toEqual([]);
    await expect((await given.useFactory()).check(signal())).resolves.toMatchObject({
      status: 'pass',
    });
    const own = MicroserviceServerHealthIndicator.register({}) as FactoryProvider;
    expect(own.inject).toEqual([{ token: ModulesContainer, optional: true }]);
  });

  it('stops start-up with a Kafka or gRPC server it would watch, and watches only the transport asked for', () => {
    const servers = new ReplaySubject<unknown>();
    servers.next(server(6, undefined, 'connected'));
    servers.next(server(1, [redis()], 'connected'));
    expect(() =>
      new MicroserviceServerHealthIndicator({ servers }).onApplicationBootstrap(),
    ).toThrow(
      /does not support Kafka yet\..* With other servers in the application, choose theirs with "transport"\.$/,
    );
    expect(() =>
      new MicroserviceServerHealthIndicator({ servers, transport: 1 }).onApplicationBootstrap(),
    ).not.toThrow();
  });
});
