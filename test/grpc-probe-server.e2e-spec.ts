import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Module, type INestApplicationContext, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import healthCheck from 'grpc-health-check';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HealthModuleOptions } from '../lib/index.js';
import { built, builtIndicator as indicator } from './support/dist.js';
import {
  check,
  grpcOptions,
  healthClient,
  list,
  watch,
  type HealthClient,
  type WatchStream,
} from './support/grpc.js';
import { freePort } from './support/servers.js';
import { until } from './support/wait.js';

/**
 * `grpc.health.v1` on the probe server's gRPC port (`probeServer.grpcPort`): served by its worker
 * thread from the results the main thread publishes, in every kind of app (none needs Nest's gRPC
 * transport), read by grpc-js clients on the shipped proto and by grpc-health-check's own.
 */

const { HealthModule, HealthService } = built;
const PROBER = fileURLToPath(new URL('./fixtures/grpc-prober.mjs', import.meta.url));
const EVERY_SERVICE = ['', 'live', 'liveness', 'ready', 'readiness', 'startup', 'deep', 'payments'];

type Kind = 'http' | 'microservice' | 'hybrid' | 'context';

interface Started {
  app: INestApplicationContext;
  /** `127.0.0.1:<port>` of the probe server's gRPC port. */
  address: string;
  client: HealthClient;
}

async function start(
  kind: Kind,
  health: HealthModuleOptions,
  providers: Provider[] = [indicator('stripe', { probes: ['deep'] })],
): Promise<Started> {
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        groups: { payments: { include: ['stripe'] } },
        ...health,
        probeServer: { port: 0, grpcPort: 0, host: '127.0.0.1', ...health.probeServer },
      }),
    ],
    providers,
  })
  class AppModule {}
  const options = { logger: false as const, abortOnError: false };
  let app: INestApplicationContext;
  if (kind === 'context') {
    app = await NestFactory.createApplicationContext(AppModule, options);
  } else if (kind === 'microservice') {
    const microservice = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
      ...options,
    });
    await microservice.listen();
    app = microservice;
  } else {
    const http = await NestFactory.create(AppModule, options);
    if (kind === 'hybrid') {
      http.connectMicroservice(grpcOptions(`127.0.0.1:${await freePort()}`));
      await http.startAllMicroservices();
    }
    await http.listen(0, '127.0.0.1');
    app = http;
  }
  const address = `127.0.0.1:${app.get(HealthService).probeServerGrpcPort}`;
  return { app, address, client: healthClient(address) };
}

async function stop(started: Started | undefined): Promise<void> {
  started?.client.close();
  await started?.app.close();
}

/** Resolves once `Check` of `service` answers `expected`. */
const checked = (client: HealthClient, service: string, expected: string) =>
  until(async () => (await check(client, service)).status === expected, `"${service}" ${expected}`);

/** Keeps this thread busy, as a stuck synchronous computation would. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

interface Probed {
  watched: { at: number; status: string }[];
  checks: { at: number; status?: string; code?: string; latency: number }[];
}

/** Watches and checks `service` from another process (this one's loop is about to be blocked). */
function probeFromAnotherProcess(address: string, service: string, forMs: number, everyMs = 50) {
  const args = [PROBER, address, service, String(forMs), String(everyMs)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<Probed>((resolve) => child.on('exit', () => resolve(JSON.parse(out))));
}

describe.each(['http', 'microservice', 'hybrid', 'context'] as const)(
  "the probe server's gRPC port in a%s app",
  (kind) => {
    let started: Started | undefined;
    afterEach(() => stop(started));

    it('answers every service, NOT_FOUND for another, and lists them', async () => {
      started = await start(kind, {});
      const { client } = started;
      await checked(client, '', 'SERVING');
      for (const service of EVERY_SERVICE) {
        expect([service, await check(client, service)]).toEqual([service, { status: 'SERVING' }]);
      }
      expect(await check(client, 'orders')).toEqual({
        code: 'NOT_FOUND',
        details:
          'Unknown health service "orders": use "", "live", "ready", "startup", "deep", "payments", "liveness" or "readiness".',
      });
      expect(await list(client)).toEqual(
        Object.fromEntries(
          ['', 'live', 'ready', 'startup', 'deep', 'payments'].map((s) => [s, 'SERVING']),
        ),
      );
    });
  },
);

describe("the probe server's gRPC port", () => {
  const database = { now: false };
  const cache = { now: false };
  let started: Started;
  const streams: WatchStream[] = [];

  beforeAll(async () => {
    started = await start(
      'http',
      {
        cacheTtlMs: 50,
        refreshIntervalMs: 100,
        grpc: { maxWatchStreams: 6 },
        probeServer: { port: 0, maxStallMs: 600 },
      },
      [
        indicator('database', {}, database),
        indicator('cache', { critical: false }, cache),
        indicator('stripe', { probes: ['deep'] }),
      ],
    );
    await checked(started.client, '', 'SERVING');
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.cancel();
    database.now = cache.now = false;
  });

  afterAll(() => stop(started));

  it('turns "" and ready NOT_SERVING while a critical indicator fails, live staying SERVING', async () => {
    const { client } = started;
    const ready = watch(client, '');
    const live = watch(client, 'liveness');
    const unknown = watch(client, 'orders');
    streams.push(ready, live, unknown);
    expect(await ready.received(1)).toEqual(['SERVING']);
    expect(await unknown.received(1)).toEqual(['SERVICE_UNKNOWN']);
    // A non-critical failure degrades readiness (warn): still serving.
    cache.now = true;
    database.now = true;
    expect(await ready.received(2)).toEqual(['SERVING', 'NOT_SERVING']);
    for (const service of ['ready', 'readiness', 'deep']) {
      expect([service, await check(client, service)]).toEqual([service, { status: 'NOT_SERVING' }]);
    }
    expect(await check(client, 'payments')).toEqual({ status: 'SERVING' });
    database.now = false;
    expect(await ready.received(3)).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(live.statuses).toEqual(['SERVING']);
    expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']);
  });

  it('answers the client of the grpc-health-check package', async () => {
    const Client = grpc.makeClientConstructor(healthCheck.service, 'grpc.health.v1.Health');
    const client = new Client(started.address, grpc.credentials.createInsecure());
    try {
      expect(await check(client, '')).toEqual({ status: 'SERVING' });
      expect(await check(client, 'nope')).toMatchObject({ code: 'NOT_FOUND' });
      expect(await list(client)).toMatchObject({ '': 'SERVING', deep: 'SERVING' });
    } finally {
      client.close();
    }
  });

  it('takes grpc.maxWatchStreams Watch streams at once, then RESOURCE_EXHAUSTED; Check still answers', async () => {
    const { client } = started;
    streams.push(...Array.from({ length: 6 }, () => watch(client, 'live')));
    await Promise.all(streams.map((stream) => stream.received(1)));
    const refused = watch(client, 'live');
    expect(await refused.ended).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      details:
        'Too many Watch streams are open (grpc.maxWatchStreams: 6); retry later, or use Check.',
    });
    expect(await check(client, 'live')).toEqual({ status: 'SERVING' });
  });

  it('refuses a request larger than a health request, and cuts a long name in its answer', async () => {
    const { client } = started;
    expect(await check(client, 'x'.repeat(4096))).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await check(client, 'x'.repeat(300))).toMatchObject({
      code: 'NOT_FOUND',
      details: expect.stringMatching(/^Unknown health service "x{64}…": use /),
    });
  });

  it('answers while the main event loop is blocked, and turns liveness NOT_SERVING once it is stuck', async () => {
    const { address } = started;
    const probed = probeFromAnotherProcess(address, 'liveness', 2500);
    await new Promise((resolve) => setTimeout(resolve, 400));
    block(1500);
    const { watched, checks } = await probed;
    // Every Check had its answer at once, the blocked ones included: none waited for this thread.
    expect(checks.filter((c) => c.status === undefined || c.latency > 500)).toEqual([]);
    expect(checks.filter((c) => c.status === 'NOT_SERVING').length).toBeGreaterThan(2);
    expect(checks.at(-1)!.status).toBe('SERVING');
    // The Watch stream, from the worker's own timer: NOT_SERVING within the stall, then SERVING.
    expect(watched.map((w) => w.status)).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    const [, dead, alive] = watched;
    expect(alive.at - dead.at).toBeLessThan(1500);
  });
});

describe("the probe server's gRPC port at start-up and shutdown", () => {
  let started: Started | undefined;
  afterEach(() => stop(started));

  it('keeps startup and "" NOT_SERVING until start-up has completed', async () => {
    const cold = { now: true };
    started = await start('http', { cacheTtlMs: 50, refreshIntervalMs: 100 }, [
      indicator('warmup', { probes: ['startup'] }, cold),
      indicator('stripe', { probes: ['deep'] }),
    ]);
    const { client } = started;
    const startup = watch(client, 'startup');
    expect(await check(client, 'startup')).toEqual({ status: 'NOT_SERVING' });
    expect(await check(client, '')).toEqual({ status: 'NOT_SERVING' });
    expect(await check(client, 'liveness')).toEqual({ status: 'SERVING' });
    cold.now = false;
    await checked(client, 'startup', 'SERVING');
    await checked(client, '', 'SERVING');
    expect(await startup.received(2)).toEqual(['NOT_SERVING', 'SERVING']);
    startup.cancel();
  });

  /** Watches of "" and liveness through `app.close()`; the port refuses once it is closed. */
  async function closeWatched() {
    started = await start('http', {});
    const { app, client } = started;
    await checked(client, '', 'SERVING');
    const ready = watch(client, '');
    const live = watch(client, 'liveness');
    await Promise.all([ready.received(1), live.received(1)]);
    const closing = Date.now();
    await app.close();
    const tookMs = Date.now() - closing;
    const after = await check(client, '', 500);
    client.close();
    started = undefined;
    return { ready, live, tookMs, after };
  }

  it('ends Watch streams with OK before its worker closes, then refuses calls', async () => {
    const { ready, live, tookMs, after } = await closeWatched();
    expect(tookMs).toBeLessThan(1500);
    expect(await ready.ended).toEqual({ code: 'OK' });
    expect(await live.ended).toEqual({ code: 'OK' });
    expect(live.statuses).toEqual(['SERVING']);
    expect(after).toMatchObject({ code: 'UNAVAILABLE' });
  });

  // NestJS 11's app.close() runs no hook before onModuleDestroy (scripts/test-nest11.mjs).
  it('fails readiness while the application closes: "" NOT_SERVING, liveness SERVING', async () => {
    const { ready, live } = await closeWatched();
    expect(await ready.ended).toEqual({ code: 'OK' });
    expect(ready.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(live.statuses).toEqual(['SERVING']);
  });

  it('stops start-up, naming the option, when its gRPC port is in use', async () => {
    const taken = await start('http', {});
    const port = Number(taken.address.split(':')[1]);
    try {
      await expect(start('context', { probeServer: { port: 0, grpcPort: port } })).rejects.toThrow(
        `HealthModule option "probeServer.grpcPort": port ${port} is already in use on 127.0.0.1.`,
      );
    } finally {
      await stop(taken);
    }
  });
});
