import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PostgresHealthIndicator } from '../lib/index.js';
import {
  healthClient,
  startGrpcApp,
  watch,
  type GrpcApp,
  type WatchStream,
} from './support/grpc.js';
import { ProbeSimulator, type ProbeSpec } from './support/kubelet.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';
import { describeWithServer, endpoint, freePort, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The kubelet's gRPC probes (`livenessProbe.grpc` and the others) against real applications:
 * start-up and a rolling shutdown of the built sample in a child process, and an outage of a
 * critical dependency (PostgreSQL, through a proxy the test owns) of a hybrid application.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A gRPC probe every `periodMs`, as the manifest declares it (timeouts of 1 s). */
const grpcProbe = (address: string, service: string | undefined, spec: Partial<ProbeSpec> = {}) =>
  new ProbeSimulator({
    grpc: { address, service },
    periodMs: 100,
    timeoutMs: 1000,
    ...spec,
  }).start();

/** The epoch-ms timestamp a log line of the sample ends with (`... at 1763700000000`). */
function loggedAt(sample: Sample, pattern: RegExp): number | undefined {
  const line = sample.lines.find(({ text }) => pattern.test(text));
  const match = line && /at (\d{13})/.exec(line.text);
  return match ? Number(match[1]) : undefined;
}

let sample: Sample | undefined;

afterEach(async () => {
  if (running(sample)) await stopSample(sample);
  sample = undefined;
});

describe('the sample’s gRPC probes', () => {
  it('see startup and "" NOT_SERVING until the warm-up is over, and liveness SERVING throughout', async () => {
    sample = await startSample({ WARMUP_MS: '1200', GRPC_PORT: String(await freePort()) });
    const address = sample.grpc!;
    const startup = grpcProbe(address, 'startup', { failureThreshold: 30 });
    const ready = grpcProbe(address, undefined);
    const live = grpcProbe(address, 'liveness');
    const latched = await startup.until('success', 8000);
    await ready.until('success', 3000);
    await Promise.all([startup.stop(), ready.stop(), live.stop()]);

    const warmedUpAt = loggedAt(sample, /Reference data loaded/);
    expect(warmedUpAt).toBeDefined();
    expect(latched.from).toBe('unknown');
    expect(startup.attempts[0].serving).toBe('NOT_SERVING');
    const beforeWarm = (probe: ProbeSimulator) =>
      probe.attempts.filter((a) => a.doneAt < warmedUpAt!).map((a) => a.serving);
    expect(new Set(beforeWarm(startup))).toEqual(new Set(['NOT_SERVING']));
    expect(new Set(beforeWarm(ready))).toEqual(new Set(['NOT_SERVING']));
    expect(latched.at).toBeGreaterThanOrEqual(warmedUpAt!);
    expect(live.transitions.map((t) => t.to)).toEqual(['success']);
  });

  describe('in a rolling shutdown (SIGTERM)', () => {
    const DELAY_MS = 1500;
    let signalledAt = 0;
    let exit: Awaited<Sample['exited']>;
    let ready: ProbeSimulator;
    let live: ProbeSimulator;
    let watched: WatchStream;
    let lines: Sample['lines'] = [];
    /** When the app said readiness fails (the line reached this process), or the signal's time. */
    const begun = () =>
      lines.find(({ text }) => /SIGTERM: readiness now fails/.test(text))?.at ?? Infinity;

    beforeAll(async () => {
      const started = await startSample({
        WARMUP_MS: '0',
        SHUTDOWN_DELAY_MS: String(DELAY_MS),
        GRPC_PORT: String(await freePort()),
      });
      sample = started;
      lines = started.lines;
      ready = grpcProbe(started.grpc!, undefined, { periodMs: 20, failureThreshold: 1 });
      live = grpcProbe(started.grpc!, 'liveness', { periodMs: 20, failureThreshold: 1 });
      await ready.until('success', 5000);
      const client = healthClient(started.grpc!);
      watched = watch(client, '');
      await watched.received(1);
      await sleep(200);
      signalledAt = Date.now();
      started.child.kill('SIGTERM');
      exit = await started.exited;
      await Promise.all([ready.stop(), live.stop()]);
      await watched.ended;
      client.close();
    }, 20_000);

    it('tells a Watch stream of "" at once, and ends it with OK when the app closes', async () => {
      expect(watched.statuses).toEqual(['SERVING', 'NOT_SERVING']);
      // Once the app has handled the signal, whatever a loaded machine delayed that by.
      expect(begun() - signalledAt).toBeLessThan(1000);
      expect(watched.times[1] - begun()).toBeLessThanOrEqual(500);
      expect(await watched.ended).toEqual({ code: 'OK' });
    });

    it('turns "" NOT_SERVING as soon as it handles the signal, never SERVING again', () => {
      const after = ready.attempts.filter((a) => a.sentAt >= begun());
      expect(after[0]?.serving).toBe('NOT_SERVING');
      expect(after.filter((a) => a.serving === 'SERVING')).toEqual([]);
    });

    it('keeps liveness SERVING through the delay, until the gRPC server closes with the app', () => {
      const answered = live.attempts.filter((a) => a.serving !== undefined);
      expect(answered.every((a) => a.serving === 'SERVING')).toBe(true);
      const last = answered.at(-1)!;
      expect(last.doneAt).toBeGreaterThanOrEqual(signalledAt + DELAY_MS - 100);
      // Then no answer at all: the server is gone (refused, or cut while closing).
      const later = live.attempts.filter((a) => a.sentAt > last.doneAt);
      expect(later.filter((a) => a.serving !== undefined || a.error === undefined)).toEqual([]);
    });

    it('exits with code 0 after the delay', () => {
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(DELAY_MS);
      expect(exit.at - signalledAt).toBeLessThan(DELAY_MS + 2500);
    });
  });
});

await describeWithServer('postgres', 'gRPC probes through an outage of PostgreSQL', () => {
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let started: GrpcApp;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('postgres')).start();
    pool = new pg.Pool({ connectionString: via('postgres', proxy.port), max: 2 });
    pool.on('error', () => undefined);
    const PG_POOL = Symbol('PG_POOL');
    started = await startGrpcApp({
      providers: [
        { provide: PG_POOL, useValue: pool },
        PostgresHealthIndicator.register({
          client: PG_POOL,
          name: 'database',
          timeoutMs: 300,
          cacheTtlMs: 200,
        }),
      ],
    });
  });

  afterAll(async () => {
    await started?.app.close();
    await pool?.end();
    await proxy?.stop();
  });

  it('takes the pod out of rotation and back, never restarting it', async () => {
    const ready = grpcProbe(started.address, '', { failureThreshold: 2 });
    const live = grpcProbe(started.address, 'liveness');
    await ready.until('success', 3000);
    await proxy.refuse();
    const out = await ready.until('failure', 3000);
    await proxy.heal();
    const back = await ready.until('success', 3000);
    await Promise.all([ready.stop(), live.stop()]);
    expect(ready.transitions.map((t) => t.to)).toEqual(['success', 'failure', 'success']);
    expect(back.at).toBeGreaterThan(out.at);
    expect(ready.attempts.filter((a) => !a.success).every((a) => a.serving === 'NOT_SERVING')).toBe(
      true,
    );
    expect(live.transitions.map((t) => t.to)).toEqual(['success']);
    expect(live.attempts.every((a) => a.serving === 'SERVING')).toBe(true);
  });
});
