import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Injectable, Module, type CallHandler, type CanActivate } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { fileURLToPath } from 'node:url';
import healthCheck from 'grpc-health-check';
import { HealthModule, HealthService } from '../lib/index.js';
import {
  check,
  grpcOptions,
  healthClient,
  list,
  startGrpcApp,
  watch,
  type GrpcApp,
  type GrpcAppOptions,
  type HealthClient,
} from './support/grpc.js';
import { defineIndicator, type TestIndicator } from './support/indicators.js';
import { freePort } from './support/servers.js';
import { until as waitFor } from './support/wait.js';

/**
 * The gRPC health service of real Nest applications (hybrid HTTP + gRPC, and gRPC only), read
 * by clients nobody here wrote: grpc-js with proto-loader on the shipped proto, and the client
 * grpc-health-check makes of its own copy of the proto.
 */

const ORDERS_PROTO = fileURLToPath(new URL('../sample/src/orders/orders.proto', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failing = () => {
  throw new Error('connection refused');
};

let started: GrpcApp | undefined;
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await started?.app.close();
  started = undefined;
});

async function start(options: GrpcAppOptions): Promise<HealthClient> {
  started = await startGrpcApp(options);
  const client = healthClient(started.address);
  clients.push(client);
  return client;
}

/** Resolves once `read` returns `expected`, polling. */
async function until<T>(read: () => Promise<T>, expected: T, withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(last)}`);
    await sleep(20);
    last = await read();
  }
}

/** The running instance of a test indicator class. */
const indicator = (cls: typeof Database): TestIndicator => started!.app.get(cls);

const Database = defineIndicator({ name: 'database' });
const Cache = defineIndicator({ name: 'cache', critical: false });
const Stripe = defineIndicator({ name: 'stripe', probes: ['deep'] });

describe.each(['hybrid', 'grpc'] as const)(
  'the gRPC health service of a %s application',
  (kind) => {
    const boot = (health: GrpcAppOptions['health'] = {}) =>
      start({
        kind,
        providers: [Database, Cache, Stripe],
        health: { cacheTtlMs: 50, groups: { payments: { include: ['stripe'] } }, ...health },
      });

    it('answers SERVING for "", every probe, every group and the Kubernetes names', async () => {
      const client = await boot();
      for (const service of [undefined, '', 'live', 'ready', 'startup', 'deep', 'payments']) {
        expect([service, await check(client, service)]).toEqual([service, { status: 'SERVING' }]);
      }
      expect(await check(client, 'liveness')).toEqual({ status: 'SERVING' });
      expect(await check(client, 'readiness')).toEqual({ status: 'SERVING' });
    });

    it('turns "" and ready NOT_SERVING when a critical indicator fails, live staying SERVING', async () => {
      const client = await boot();
      indicator(Cache).behaviour = failing;
      await sleep(60);
      // A non-critical failure degrades readiness (warn): still serving.
      expect(await check(client, '')).toEqual({ status: 'SERVING' });
      indicator(Database).behaviour = failing;
      await sleep(60);
      expect(await check(client, '')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, 'ready')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, 'readiness')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, 'deep')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, 'live')).toEqual({ status: 'SERVING' });
      expect(await check(client, 'payments')).toEqual({ status: 'SERVING' });
    });

    it('fails Check of an unknown service with NOT_FOUND, naming the services there are', async () => {
      const client = await boot();
      expect(await check(client, 'orders')).toEqual({
        code: 'NOT_FOUND',
        details:
          'Unknown health service "orders": use "", "live", "ready", "startup", "deep", "payments", "liveness" or "readiness".',
      });
    });

    it('lists every service with its status', async () => {
      const client = await boot();
      indicator(Stripe).behaviour = failing;
      await sleep(60);
      expect(await list(client)).toEqual({
        '': 'SERVING',
        live: 'SERVING',
        ready: 'SERVING',
        startup: 'SERVING',
        deep: 'NOT_SERVING',
        payments: 'NOT_SERVING',
      });
    });

    it('watches: the status at once, then every change; SERVICE_UNKNOWN on a stream kept open', async () => {
      const client = await boot();
      const ready = watch(client, '');
      const live = watch(client, 'liveness');
      const unknown = watch(client, 'orders');
      expect(await ready.received(1)).toEqual(['SERVING']);
      expect(await unknown.received(1)).toEqual(['SERVICE_UNKNOWN']);
      indicator(Database).behaviour = failing;
      expect(await ready.received(2)).toEqual(['SERVING', 'NOT_SERVING']);
      indicator(Database).behaviour = () => undefined;
      expect(await ready.received(3)).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
      expect(live.statuses).toEqual(['SERVING']);
      expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']);
      for (const stream of [ready, live, unknown]) stream.cancel();
    });

    it('answers the client of the grpc-health-check package', async () => {
      await boot();
      const Client = grpc.makeClientConstructor(healthCheck.service, 'grpc.health.v1.Health');
      const client = new Client(started!.address, grpc.credentials.createInsecure());
      clients.push(client);
      expect(await check(client, '')).toEqual({ status: 'SERVING' });
      expect(await check(client, 'nope')).toMatchObject({ code: 'NOT_FOUND' });
      expect(await list(client)).toMatchObject({ '': 'SERVING', deep: 'SERVING' });
      const stream = watch(client, 'ready');
      expect(await stream.received(1)).toEqual(['SERVING']);
      stream.cancel();
    });

    it('keeps startup and "" NOT_SERVING until start-up has completed', async () => {
      let warm = false;
      const Warmup = defineIndicator({ name: 'warmup', probes: ['startup'] }, () => {
        if (!warm) throw new Error('loading reference data');
      });
      const client = await start({ kind, providers: [Warmup], health: { cacheTtlMs: 0 } });
      const startup = watch(client, 'startup');
      expect(await check(client, 'startup')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, '')).toEqual({ status: 'NOT_SERVING' });
      expect(await check(client, 'live')).toEqual({ status: 'SERVING' });
      warm = true;
      await until(() => check(client, 'startup'), { status: 'SERVING' });
      expect(await check(client, '')).toEqual({ status: 'SERVING' });
      expect(await startup.received(2)).toEqual(['NOT_SERVING', 'SERVING']);
      // Latched: a later failure of a startup check does not bring start-up back.
      warm = false;
      expect(await check(client, 'startup')).toEqual({ status: 'SERVING' });
      startup.cancel();
    });
  },
);

describe('the gRPC health service, whatever the clients do', () => {
  it('runs checks no more often than the cache says, however many watch and check', async () => {
    const client = await start({ providers: [Database], health: { cacheTtlMs: 200 } });
    const database = started!.app.get<TestIndicator>(Database);
    const streams = Array.from({ length: 200 }, (_, i) =>
      watch(client, ['', 'ready', 'readiness', 'deep'][i % 4]),
    );
    await Promise.all(streams.map((stream) => stream.received(1)));
    const runsBefore = database.runs;
    const from = Date.now();
    while (Date.now() - from < 1000) {
      await Promise.all(Array.from({ length: 20 }, () => check(client, '')));
    }
    const runs = database.runs - runsBefore;
    // One run per 200 ms cache period, plus one for a period boundary crossed mid-flight.
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(7);
    for (const stream of streams) stream.cancel();
  });

  it('refuses Watch streams beyond maxWatchStreams with RESOURCE_EXHAUSTED, and takes new ones as others end', async () => {
    const client = await start({ health: { grpc: { maxWatchStreams: 20 } } });
    const streams = Array.from({ length: 20 }, () => watch(client, 'live'));
    await Promise.all(streams.map((stream) => stream.received(1)));
    const refused = watch(client, 'live');
    expect(await refused.ended).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      details:
        'Too many Watch streams are open (grpc.maxWatchStreams: 20); retry later, or use Check.',
    });
    expect(await check(client, 'live')).toEqual({ status: 'SERVING' });
    streams[0].cancel();
    // The server frees the slot once the cancellation reaches it: a new stream is refused until
    // then, and taken after (waited for, bounded, rather than assumed after a fixed sleep).
    let next = watch(client, 'live');
    await waitFor(
      async () => {
        if (next.statuses.length > 0) return true;
        const ended = await Promise.race([next.ended, sleep(20).then(() => undefined)]);
        if (ended !== undefined) {
          expect(ended).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
          next = watch(client, 'live');
        }
        return false;
      },
      'the cancelled stream to free its slot',
      3000,
    );
    expect(next.statuses).toEqual(['SERVING']);
    next.cancel();
    for (const stream of streams) stream.cancel();
  });

  it.each([
    ['a hybrid application', { kind: 'hybrid' }],
    ['a gRPC-only application', { kind: 'grpc' }],
    ['a gRPC-only application with gracefulShutdown', { kind: 'grpc', graceful: true }],
  ] as const)('ends Watch streams with OK when %s closes', async (_, { kind, ...more }) => {
    const graceful = 'graceful' in more;
    const client = await start({
      kind,
      providers: [Database],
      transport: graceful ? { gracefulShutdown: true } : {},
    });
    const ready = watch(client, 'ready');
    const unknown = watch(client, 'orders');
    await Promise.all([ready.received(1), unknown.received(1)]);
    const closing = Date.now();
    // Nest closes a gRPC-only app's transport before any hook: the streams end all the same.
    await started!.app.close();
    started = undefined;
    expect(Date.now() - closing).toBeLessThan(1000);
    expect(await ready.ended).toEqual({ code: 'OK' });
    expect(await unknown.ended).toEqual({ code: 'OK' });
  });

  it('serves with options from forRootAsync()', async () => {
    @Module({
      imports: [
        HealthModule.forRootAsync({
          useFactory: async () => ({ grpc: true, logger: false as const }),
        }),
      ],
      providers: [Database],
    })
    class AsyncModule {}
    const address = `127.0.0.1:${await freePort()}`;
    const app = await NestFactory.createMicroservice(AsyncModule, {
      ...grpcOptions(address),
      logger: false,
    });
    await app.listen();
    started = { app, address };
    const client = healthClient(address);
    clients.push(client);
    expect(await check(client, '')).toEqual({ status: 'SERVING' });
    expect(await app.get(HealthService).check('ready')).toMatchObject({ status: 'pass' });
  });

  it('serves nothing while the grpc option is off: Check is UNIMPLEMENTED', async () => {
    const client = await start({ kind: 'grpc', health: { grpc: false } });
    expect(await check(client, '')).toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('answers past app-wide guards and interceptors: health is not business traffic', async () => {
    @Injectable()
    class DenyAll implements CanActivate {
      canActivate(): boolean {
        return false;
      }
    }
    const seen: unknown[] = [];
    const counting = {
      intercept: (context: unknown, next: CallHandler) => (seen.push(context), next.handle()),
    };
    const client = await start({
      kind: 'grpc',
      providers: [
        { provide: APP_GUARD, useClass: DenyAll },
        { provide: APP_INTERCEPTOR, useValue: counting },
      ],
    });
    expect(await check(client, '')).toEqual({ status: 'SERVING' });
    expect(await list(client)).toMatchObject({ '': 'SERVING' });
    const stream = watch(client, 'liveness');
    expect(await stream.received(1)).toEqual(['SERVING']);
    stream.cancel();
    expect(seen).toEqual([]);
  });

  it("runs the application's own onLoadPackageDefinition, and leaves its options as they were", async () => {
    const loaded: unknown[] = [];
    const onLoadPackageDefinition = (definition: object, server: object) =>
      loaded.push(Object.keys(definition).includes('grpc.health.v1.Health') && server);
    const transport = { onLoadPackageDefinition };
    const client = await start({ kind: 'grpc', transport });
    expect(await check(client, 'readiness')).toEqual({ status: 'SERVING' });
    expect(loaded).toEqual([expect.any(Object)]);
    expect(transport).toEqual({ onLoadPackageDefinition });
  });

  it('serves no gRPC server that does not list HEALTH_GRPC_PACKAGE: Check is UNIMPLEMENTED', async () => {
    const client = await start({
      kind: 'grpc',
      transport: { package: 'orders', protoPath: ORDERS_PROTO },
    });
    expect(await check(client, '')).toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('stops start-up, saying so, when something else serves grpc.health.v1.Health on the server', async () => {
    const errors: string[] = [];
    const logger = {
      log: () => undefined,
      warn: () => undefined,
      error: (m: string) => errors.push(m),
    };
    @Module({ imports: [HealthModule.forRoot({ grpc: true, logger })] })
    class TwiceModule {}
    const address = `127.0.0.1:${await freePort()}`;
    const app = await NestFactory.createMicroservice(TwiceModule, {
      ...grpcOptions(address, {
        onLoadPackageDefinition: (_: unknown, server: grpc.Server) =>
          new healthCheck.HealthImplementation({ '': 'SERVING' }).addToServer(server),
      }),
      logger: false,
    });
    try {
      await expect(app.listen()).rejects.toThrow();
    } finally {
      await app.close();
    }
    expect(errors).toEqual([
      `The gRPC server on ${address} would serve grpc.health.v1.Health twice (Method handler for /grpc.health.v1.Health/Check already provided.): HealthModule (option "grpc") adds it to every gRPC server whose "package" lists HEALTH_GRPC_PACKAGE, and something else added it first (an onLoadPackageDefinition of the application's own?). Keep one: remove the other, or HEALTH_GRPC_PACKAGE from this server's "package".`,
    ]);
  });
});
