import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Module,
  type INestApplicationContext,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import supertest from 'supertest';
import type { HealthModuleOptions } from '../lib/index.js';
import { built, builtIndicator as indicator, ProbeServer } from './support/dist.js';
import { rawGet, type RawResponse } from './support/http.js';
import { until as waitFor } from './support/wait.js';
import { startUpFailure } from './support/app.js';

const { HealthModule, HealthService } = built;

let app: INestApplicationContext | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  health: HealthModuleOptions,
  providers: Provider[] = [indicator('db'), indicator('cache', { critical: false }, { now: true })],
  /** `init`: an HTTP app that only calls init(), as supertest tests do. */
  kind: 'http' | 'init' | 'context' | 'microservice' = 'http',
) {
  @Module({
    imports: [HealthModule.forRoot({ logger: false, ...health })],
    providers,
  })
  class AppModule {}
  if (kind === 'context') {
    app = await NestFactory.createApplicationContext(AppModule, {
      logger: false,
      abortOnError: false,
    });
  } else if (kind === 'microservice') {
    const microservice = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
      logger: false,
      abortOnError: false,
    });
    await microservice.listen();
    app = microservice;
  } else {
    const http = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    if (kind === 'init') await http.init();
    else await http.listen(0, '127.0.0.1');
    app = http;
  }
  const probePort = app.get(HealthService).probeServerPort!;
  const appPort =
    kind === 'http'
      ? ((app as unknown as { getHttpServer(): { address(): AddressInfo } })
          .getHttpServer()
          .address().port as number)
      : undefined;
  return { probePort, appPort };
}

/** A body with the moment and length of its runs masked: what may differ between two reads. */
const observed = (text: string) =>
  text
    .replace(/"time":"[^"]*"/g, '"time":"…"')
    .replace(/"observedValue":[\d.]+/g, '"observedValue":0');

/** Waits until `read` answers as `accept` says, up to `ms`. */
async function until(
  read: () => Promise<RawResponse>,
  accept: (r: RawResponse) => boolean,
  ms = 3000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await read();
    if (accept(response)) return response;
    if (Date.now() > deadline) throw new Error(`still ${response.status} ${response.text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A free TCP port, for a test that must know the port before the app listens. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * GETs `path` every `everyMs` for `forMs` from another process (this one's event loop is about to
 * be blocked), and resolves with each answer: when it was sent (ms after the start), its status
 * and its body.
 */
function pollFromAnotherProcess(port: number, path: string, everyMs: number, forMs: number) {
  const script = `
    const started = Date.now(); const seen = [];
    const tick = async () => {
      const at = Date.now() - started;
      try {
        const r = await fetch('http://127.0.0.1:${port}${path}', { signal: AbortSignal.timeout(1000) });
        seen.push({ at, status: r.status, latency: Date.now() - started - at, body: await r.text() });
      } catch (e) { seen.push({ at, status: 0, error: String(e) }); }
      if (Date.now() - started < ${forMs}) setTimeout(tick, ${everyMs});
      else console.log(JSON.stringify(seen));
    };
    tick();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<{ at: number; status: number; latency: number; body: string }[]>((resolve) =>
    child.on('exit', () => resolve(JSON.parse(out))),
  );
}

/** The handles (sockets, timers, threads...) keeping this process alive. */
const handles = () => process.getActiveResourcesInfo().length;

/** Keeps this thread busy, as a stuck synchronous computation would. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

/** How many threads this process runs (a worker thread is one of them). Linux's /proc. */
async function threads(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(/^Threads:\s+(\d+)$/m.exec(status)![1]);
}

/** Whether a server can listen on `port` (on every IPv4 interface, as the probe server does). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** Resolves with `promise`, or fails saying what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The results the main thread posts to the probe server's worker from now on. */
function publishedResults(context: INestApplicationContext) {
  const server = (
    context.get(ProbeServer) as unknown as {
      host: { worker: { postMessage(message: { type: string; result?: object }): void } };
    }
  ).host;
  const posted: { probe: string; status: string }[] = [];
  const post = server.worker.postMessage.bind(server.worker);
  server.worker.postMessage = (message) => {
    if (message.type === 'result') posted.push(message.result as (typeof posted)[number]);
    post(message);
  };
  return posted;
}

/** Starts an app that must fail to start, and returns why. */
const failure = (health: HealthModuleOptions) => startUpFailure(() => start(health));

/** The warm-up and a readiness check that needs it: both fail until it is done. */
const warmingUp = () => {
  const cold = { now: true };
  const checks = [indicator('warmup', { probes: ['startup'] }, cold), indicator('queue', {}, cold)];
  return { cold, checks };
};

describe('the probe server', () => {
  it('serves every route of the app’s port, in the same formats', async () => {
    const registry = new Registry();
    const { probePort, appPort } = await start({
      probeServer: { port: 0 },
      groups: { payments: { include: ['db'] } },
      metrics: { registry },
    });
    // Wait until the published results agree with what the app's port computes.
    await until(
      () => rawGet(probePort, { path: '/health/ready' }),
      (r) => r.status === 200 && (r.body as { status: string }).status === 'warn',
    );
    for (const path of [
      '/health/live',
      '/health/ready',
      '/health/startup',
      '/health/payments',
      '/health/payments/db',
      '/health/ready/cache',
      '/health/ready?verbose',
      '/health/ready?exclude=cache&exclude=nope',
      '/health/deep/db',
      '/health/deep/nope',
      '/health/nope',
      '/health/payments/cache',
    ]) {
      const [ours, theirs] = await Promise.all([
        rawGet(probePort, { path }),
        rawGet(appPort!, { path }),
      ]);
      // The same answer, but for when each port's result was observed and how long it took: a
      // check runs again between the two requests when a loaded machine spaces them out.
      expect([path, ours.status, ours.headers['content-type'], observed(ours.text)]).toEqual([
        path,
        theirs.status,
        theirs.headers['content-type'],
        observed(theirs.text),
      ]);
      expect([path, ours.headers['cache-control']]).toEqual([
        path,
        theirs.headers['cache-control'],
      ]);
    }
    const deep = await rawGet(probePort, { path: '/health/deep' });
    expect(Object.keys((deep.body as { checks: object }).checks)).toEqual(
      expect.arrayContaining(['db:responseTime', 'cache:responseTime', 'process:uptime']),
    );
    const metrics = await rawGet(probePort, { path: '/health/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(
      'health_check_status{check="db",critical="true",status="pass"} 1',
    );
  });

  it('gives external callers what the app’s port gives them', async () => {
    const { probePort } = await start({
      probeServer: { port: 0 },
      internalNetworks: ['10.0.0.0/8'],
    });
    await until(
      () => rawGet(probePort, { path: '/health/ready' }),
      (r) => r.status === 200,
    );
    expect((await rawGet(probePort, { path: '/health/ready?verbose' })).text).toBe(
      '{"status":"warn"}',
    );
    expect((await rawGet(probePort, { path: '/health/live' })).status).toBe(200);
    const deep = await rawGet(probePort, { path: '/health/deep' });
    expect([deep.status, deep.text]).toEqual([403, '{"message":"Forbidden","statusCode":403}']);
    expect((await rawGet(probePort, { path: '/health/ready/db' })).status).toBe(403);
  });

  it('treats a relayed request as external, as the app’s port does', async () => {
    const { probePort } = await start({ probeServer: { port: 0 }, deniedStatus: 404 });
    await until(
      () => rawGet(probePort, { path: '/health/ready' }),
      (r) => r.status === 200,
    );
    const relayed = await rawGet(probePort, {
      path: '/health/deep',
      headers: { 'x-real-ip': '127.0.0.1' },
    });
    expect([relayed.status, relayed.headers['cache-control']]).toEqual([404, undefined]);
    const ready = await rawGet(probePort, {
      path: '/health/ready',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(ready.text).toBe('{"status":"warn"}');
  });

  it('answers while the main event loop is blocked, and fails liveness once it is stuck', async () => {
    const { probePort } = await start({ probeServer: { port: 0, maxStallMs: 600 } });
    await until(
      () => rawGet(probePort, { path: '/health/live' }),
      (r) => r.status === 200,
    );
    const polled = pollFromAnotherProcess(probePort, '/health/live', 50, 2500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    block(1500);
    const seen = await polled;
    // Every request had its answer at once, the blocked ones included: none waited for this thread.
    expect(seen.every((request) => request.status !== 0 && request.latency < 500)).toBe(true);
    const failed = seen.filter((request) => request.status === 503);
    expect(failed.length).toBeGreaterThan(2);
    expect(JSON.parse(failed[0].body)).toMatchObject({
      status: 'fail',
      output: expect.stringMatching(
        /^the event loop has not turned for \d+\.\d s \(maxStallMs 600\)$/,
      ),
    });
    // Live passes again as soon as the loop turns.
    expect(seen.at(-1)!.status).toBe(200);
    const firstFailure = seen.indexOf(failed[0]);
    expect(seen.slice(0, firstFailure).every((request) => request.status === 200)).toBe(true);
  });

  it('fails a background result the main thread has not refreshed in time', async () => {
    const { probePort } = await start(
      { probeServer: { port: 0, maxStallMs: 60_000 }, refreshIntervalMs: 100 },
      [indicator('db', { timeoutMs: 100 })],
    );
    await until(
      () => rawGet(probePort, { path: '/health/ready' }),
      (r) => r.status === 200,
    );
    const polled = pollFromAnotherProcess(probePort, '/health/ready', 100, 2000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    block(1200);
    const stale = (await polled).find((request) => request.status === 503);
    expect(JSON.parse(stale!.body)).toMatchObject({
      status: 'fail',
      output: expect.stringMatching(/^db: stale: the last result is \d\.\d s old$/),
    });
  });

  it('listens before the app’s modules have finished initialising: startup answers 503 starting', async () => {
    const port = await freePort();
    const gate: { release?: () => void } = {};
    @Injectable()
    class SlowStart implements OnModuleInit {
      onModuleInit() {
        return new Promise<void>((resolve) => (gate.release = resolve));
      }
    }
    @Module({
      imports: [HealthModule.forRoot({ logger: false, probeServer: { port } })],
      providers: [SlowStart, indicator('db')],
    })
    class AppModule {}
    const http = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    const initialising = http.init();
    const startup = await until(
      () => rawGet(port, { path: '/health/startup' }),
      (r) => r.status !== 0,
    );
    expect([startup.status, startup.body]).toEqual([503, { status: 'fail', output: 'starting' }]);
    expect((await rawGet(port, { path: '/health/live' })).status).toBe(200);
    gate.release!();
    await initialising;
    app = http;
    await until(
      () => rawGet(port, { path: '/health/startup' }),
      (r) => r.status === 200,
    );
  });

  describe('at the end of start-up', () => {
    it('passes startup as soon as its check does, and ready with it, without waiting out the background interval', async () => {
      const { cold, checks } = warmingUp();
      // Background runs every 5 s (cacheTtlMs, with the probe server on).
      const { probePort } = await start({ probeServer: { port: 0 }, cacheTtlMs: 5000 }, checks);
      await until(
        () => rawGet(probePort, { path: '/health/startup' }),
        (r) => r.status === 503 && r.text.includes('connection refused'),
      );
      cold.now = false;
      await until(
        () => rawGet(probePort, { path: '/health/startup' }),
        (r) => r.status === 200,
        2000,
      );
      const ready = await until(
        () => rawGet(probePort, { path: '/health/ready' }),
        (r) => r.status === 200,
        1000,
      );
      expect(ready.body).toMatchObject({ status: 'pass' });
    });

    it('keeps startup passing once it has, as the app’s port does, however old the results it passed with', async () => {
      // Background runs every 100 ms: a result of theirs is stale after 3 × 100 + 100 ms.
      const { probePort, appPort } = await start(
        { probeServer: { port: 0 }, refreshIntervalMs: 100 },
        [indicator('warmup', { probes: ['startup'], timeoutMs: 100 })],
      );
      await until(
        () => rawGet(probePort, { path: '/health/startup' }),
        (r) => r.status === 200,
      );
      await new Promise((resolve) => setTimeout(resolve, 800));
      const [own, served] = await Promise.all([
        rawGet(appPort!, { path: '/health/startup' }),
        rawGet(probePort, { path: '/health/startup' }),
      ]);
      expect([served.status, served.body]).toEqual([200, own.body]);
    });

    it('on the app’s port, passes startup on the first request after its check passes, and ready on the next', async () => {
      const { cold, checks } = warmingUp();
      const { appPort } = await start({ probeServer: { port: 0 }, cacheTtlMs: 5000 }, checks);
      expect((await rawGet(appPort!, { path: '/health/startup' })).status).toBe(503);
      cold.now = false;
      expect((await rawGet(appPort!, { path: '/health/startup' })).status).toBe(200);
      expect((await rawGet(appPort!, { path: '/health/ready' })).status).toBe(200);
    });
  });

  it.each(['context', 'microservice'] as const)(
    'serves the probes of an app with no HTTP server (%s)',
    async (kind) => {
      const failing = { now: false };
      const { probePort } = await start(
        { probeServer: { port: 0 }, cacheTtlMs: 100 },
        [indicator('queue', {}, failing)],
        kind,
      );
      await until(
        () => rawGet(probePort, { path: '/health/ready' }),
        (r) => r.status === 200,
      );
      failing.now = true;
      const down = await until(
        () => rawGet(probePort, { path: '/health/ready' }),
        (r) => r.status === 503,
      );
      expect(down.body).toMatchObject({ output: 'queue: connection refused' });
    },
  );

  it('is started again when its worker dies, on the same port', async () => {
    const { probePort } = await start({ probeServer: { port: 0 } });
    await until(
      () => rawGet(probePort, { path: '/health/ready' }),
      (r) => r.status === 200,
    );
    const worker = (
      app!.get(ProbeServer) as unknown as { host: { worker: { terminate(): Promise<number> } } }
    ).host.worker;
    await worker.terminate();
    const again = await until(
      () =>
        rawGet(probePort, { path: '/health/ready' }).catch(() => ({ status: 0 }) as RawResponse),
      (r) => r.status === 200,
    );
    expect(again.body).toMatchObject({ status: 'warn' });
  });

  it('leaves no handle and no thread behind when the app closes', async () => {
    const before = handles();
    const threadsBefore = await threads();
    const { probePort } = await start({ probeServer: { port: 0 } });
    await until(
      () => rawGet(probePort, { path: '/health/live' }),
      (r) => r.status === 200,
    );
    await app!.close();
    app = undefined;
    // The worker thread and its port close in their own time after close() resolves.
    await waitFor(
      () => handles() <= before,
      () => `${handles() - before} more handle(s) to close`,
    );
    await waitFor(async () => (await threads()) <= threadsBefore, 'the worker thread to end');
    await expect(rawGet(probePort, { path: '/health/live' })).rejects.toThrow(/ECONNREFUSED/);
  });

  describe('when the application’s start-up does not complete', () => {
    it('holds nothing that keeps the process alive after a failed init(), and close() releases its port and thread', async () => {
      const port = await freePort();
      const before = await threads();
      @Injectable()
      class Broken implements OnModuleInit {
        onModuleInit() {
          throw new Error('the database refused the connection');
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [HealthModule.forRoot({ logger: false, probeServer: { port } })],
        providers: [Broken],
      }).compile();
      const testApp = moduleRef.createNestApplication({ logger: false });
      await expect(testApp.init()).rejects.toThrow('the database refused the connection');
      // The probe server's worker and its port to the main thread are unref'd: a test run (or a
      // process) whose start-up failed ends without closing the app.
      expect(process.getActiveResourcesInfo()).not.toContain('MessagePort');
      // Nest's way to release what a failed start-up acquired: close() runs the shutdown hooks.
      await testApp.close();
      await waitFor(() => canListen(port), 'the probe port to be released', 3000);
      await waitFor(async () => (await threads()) <= before, 'the worker thread to end', 3000);
    });

    it.each(['express', 'fastify'] as const)(
      'never answers ready when the app cannot listen (%s), says why, and closes',
      async (adapter) => {
        const taken = createServer();
        await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
        const { port } = taken.address() as AddressInfo;
        @Module({
          imports: [HealthModule.forRoot({ logger: false, probeServer: { port: 0 } })],
          providers: [indicator('db')],
        })
        class AppModule {}
        const settings = { logger: false as const, abortOnError: false };
        const http =
          adapter === 'fastify'
            ? await NestFactory.create(AppModule, new FastifyAdapter(), settings)
            : await NestFactory.create(AppModule, settings);
        app = http;
        const probePort = http.get(HealthService).probeServerPort!;
        // What the main thread publishes, which the worker serves from.
        const published = publishedResults(http);
        const seen: number[] = [];
        const polling = (async () => {
          for (;;) {
            const answer = await rawGet(probePort, { path: '/health/ready' }).catch(() => null);
            if (answer === null) return;
            seen.push(answer.status);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })();
        try {
          await waitFor(() => seen.length > 0, 'the probe server to answer');
          await expect(http.listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
          // Refused, as the app's port is: the kubelet sees the pod fail as it would without it.
          await within(polling, 3000, 'the probe server did not close');
        } finally {
          taken.close();
        }
        expect(seen.filter((status) => status === 200)).toEqual([]);
        expect(
          published.filter(({ probe, status }) => probe === 'ready' && status !== 'fail'),
        ).toEqual([]);
        expect(await http.get(HealthService).check('ready')).toMatchObject({
          status: 'fail',
          output: expect.stringMatching(/^the HTTP server could not listen: listen EADDRINUSE/),
        });
      },
    );

    it('passes ready for an app that only calls init(), as supertest tests do', async () => {
      const { probePort } = await start({ probeServer: { port: 0 } }, [indicator('db')], 'init');
      await until(
        () => rawGet(probePort, { path: '/health/ready' }),
        (r) => r.status === 200,
      );
      // supertest listens the server itself, on a port of its own.
      const http = app as unknown as { getHttpServer(): Parameters<typeof supertest>[0] };
      await supertest(http.getHttpServer()).get('/health/ready').expect(200);
      expect((await rawGet(probePort, { path: '/health/ready' })).status).toBe(200);
    });
  });

  describe('stops start-up, naming the option, when', () => {
    it('its port is in use', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
      const { port } = taken.address() as AddressInfo;
      try {
        expect(await failure({ probeServer: { port } })).toBe(
          `HealthModule option "probeServer.port": port ${port} is already in use on 0.0.0.0. Choose a free port for the probe server, and the probes' port in the manifest with it.`,
        );
      } finally {
        taken.close();
      }
    });

    it('its host is no address of this machine', async () => {
      expect(await failure({ probeServer: { port: 0, host: '203.0.113.7' } })).toMatch(
        /^HealthModule option "probeServer.host": "203.0.113.7" is not an address this machine can listen on \(EADDRNOTAVAIL\)/,
      );
    });

    it.each([
      [
        { port: 70_000 },
        /"probeServer.port" is number 70000; it must be a port number from 1 to 65535/,
      ],
      [{ port: '9000' }, /"probeServer.port" is "9000"; it must be a port number/],
      [{}, /"probeServer.port" is undefined; it must be a port number, such as 9000/],
      [{ port: 9000, host: 'a host' }, /"probeServer.host" is "a host"; it must be an address/],
      [
        { port: 9000, maxStallMs: 100 },
        /"probeServer.maxStallMs" is number 100; it must be an integer number of milliseconds from 500/,
      ],
      [
        { port: 9000, timeout: 1 },
        /"probeServer" has no key "timeout". Known keys: "port", "host", "maxStallMs"/,
      ],
    ])('its options are wrong: %j', async (probeServer, message) => {
      expect(await failure({ probeServer } as HealthModuleOptions)).toMatch(message);
    });
  });
});
