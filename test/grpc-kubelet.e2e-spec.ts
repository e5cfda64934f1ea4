import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { built } from './support/dist.js';
import { healthClient, watch, type WatchStream } from './support/grpc.js';
import {
  expectProbesThroughSaturation,
  ProbeSimulator,
  type ProbeSpec,
} from './support/kubelet.js';
import { sleep } from './support/wait.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';
import { describeWithServer, endpoint, freePort, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The kubelet's gRPC probes (`livenessProbe.grpc` and the others) against the probe server's
 * gRPC port, as sample/k8s/grpc-probes.yaml declares them: through the built sample's start-up,
 * under saturation, through a stall and a rolling shutdown (a child process), and through an
 * outage of a critical dependency (PostgreSQL, behind a proxy the test owns).
 */

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

describe('the sample’s gRPC probes on the probe server, in order', () => {
  let sample: Sample;
  let address: string;

  beforeAll(async () => {
    sample = await startSample({
      WARMUP_MS: '1200',
      MAX_STALL_MS: '1000',
      PROBE_GRPC_PORT: '0',
      GRPC_PORT: String(await freePort()),
    });
    address = sample.probesGrpc!;
  });

  afterAll(async () => {
    if (running(sample)) await stopSample(sample);
  });

  it('see startup and "" NOT_SERVING until the warm-up is over, and liveness SERVING throughout', async () => {
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

  it('keep a saturated pod live and ready: no probe waits behind business requests', async () => {
    await expectProbesThroughSaturation(sample.urls.orders, () => [
      grpcProbe(address, 'liveness'),
      grpcProbe(address, undefined),
    ]);
  });

  it('take a stuck event loop for dead after MAX_STALL_MS, and live again as soon as it turns', async () => {
    const live = grpcProbe(address, 'liveness', { failureThreshold: 1 });
    const ready = grpcProbe(address, undefined, { failureThreshold: 1 });
    const client = healthClient(address);
    const watched = watch(client, 'liveness');
    await Promise.all([live.until('success', 2000), watched.received(1)]);
    const stalledAt = Date.now();
    const stall = fetch(`${sample.urls.faults.replace('/faults', '/stall')}?ms=3000`, {
      method: 'POST',
    });
    const dead = await live.until('failure', 3000);
    const alive = await live.until('success', 4000);
    await stall;
    await ready.until('success', 3000);
    await Promise.all([live.stop(), ready.stop()]);
    watched.cancel();
    client.close();
    // Taken for dead within MAX_STALL_MS (plus a probe period and a beat) of the stall...
    expect(dead.at - stalledAt).toBeGreaterThanOrEqual(900);
    expect(dead.at - stalledAt).toBeLessThanOrEqual(1000 + 500);
    // ...alive again within half a second of the loop turning, never timed out meanwhile.
    expect(alive.at - stalledAt).toBeLessThanOrEqual(3000 + 500);
    expect(live.attempts.filter((attempt) => attempt.error !== undefined)).toEqual([]);
    expect(ready.transitions.map((t) => t.to)).toEqual(['success', 'failure', 'success']);
    // A Watch of liveness saw it too, from the worker's own timer.
    expect(watched.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(watched.times[1] - stalledAt).toBeLessThanOrEqual(1000 + 500);
  });
});

describe('the sample’s gRPC probes in a rolling shutdown (SIGTERM)', () => {
  const DELAY_MS = 1500;
  let sample: Sample | undefined;
  let signalledAt = 0;
  let exit: Awaited<Sample['exited']>;
  let ready: ProbeSimulator;
  let live: ProbeSimulator;
  /** Watches of "" on the probe server's gRPC port and on the app's own. */
  let watched: Record<'probeServer' | 'appPort', WatchStream>;
  let lines: Sample['lines'] = [];
  /** When the app said readiness fails (the line reached this process), or the signal's time. */
  const begun = () =>
    lines.find(({ text }) => /SIGTERM: readiness now fails/.test(text))?.at ?? Infinity;

  beforeAll(async () => {
    const started = await startSample({
      WARMUP_MS: '0',
      SHUTDOWN_DELAY_MS: String(DELAY_MS),
      PROBE_GRPC_PORT: '0',
      GRPC_PORT: String(await freePort()),
    });
    sample = started;
    lines = started.lines;
    const address = started.probesGrpc!;
    ready = grpcProbe(address, undefined, { periodMs: 20, failureThreshold: 1 });
    live = grpcProbe(address, 'liveness', { periodMs: 20, failureThreshold: 1 });
    await ready.until('success', 5000);
    const clients = [healthClient(address), healthClient(started.grpc!)];
    watched = { probeServer: watch(clients[0], ''), appPort: watch(clients[1], '') };
    await Promise.all(Object.values(watched).map((stream) => stream.received(1)));
    await sleep(200);
    signalledAt = Date.now();
    started.child.kill('SIGTERM');
    exit = await started.exited;
    await Promise.all([ready.stop(), live.stop()]);
    await Promise.all(Object.values(watched).map((stream) => stream.ended));
    for (const client of clients) client.close();
  }, 20_000);

  afterAll(async () => {
    if (running(sample)) await stopSample(sample);
  });

  it('tells a Watch stream of "" at once, on both ports, and ends it with OK when the app closes', async () => {
    // Once the app has handled the signal, whatever a loaded machine delayed that by.
    expect(begun() - signalledAt).toBeLessThan(1000);
    for (const stream of Object.values(watched)) {
      expect(stream.statuses).toEqual(['SERVING', 'NOT_SERVING']);
      expect(stream.times[1] - begun()).toBeLessThanOrEqual(500);
      expect(await stream.ended).toEqual({ code: 'OK' });
    }
  });

  it('turns "" NOT_SERVING as soon as it handles the signal, never SERVING again', () => {
    const after = ready.attempts.filter((a) => a.sentAt >= begun());
    expect(after[0]?.serving).toBe('NOT_SERVING');
    expect(after.filter((a) => a.serving === 'SERVING')).toEqual([]);
  });

  it('keeps liveness SERVING through the delay and the drain, until the probe server closes last', () => {
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

await describeWithServer('postgres', 'gRPC probes through an outage of PostgreSQL', () => {
  const { HealthModule, HealthService, PostgresHealthIndicator } = built;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let app: Awaited<ReturnType<typeof NestFactory.create>>;
  let address: string;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('postgres')).start();
    pool = new pg.Pool({ connectionString: via('postgres', proxy.port), max: 2 });
    pool.on('error', () => undefined);
    const PG_POOL = Symbol('PG_POOL');
    @Module({
      imports: [
        HealthModule.forRoot({
          logger: false,
          cacheTtlMs: 200,
          probeServer: { port: 0, grpcPort: 0, host: '127.0.0.1' },
        }),
      ],
      providers: [
        { provide: PG_POOL, useValue: pool },
        PostgresHealthIndicator.register({ client: PG_POOL, name: 'database', timeoutMs: 300 }),
      ],
    })
    class OutageModule {}
    app = await NestFactory.create(OutageModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    address = `127.0.0.1:${app.get(HealthService).probeServerGrpcPort}`;
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await proxy?.stop();
  });

  it('takes the pod out of rotation and back, never restarting it', async () => {
    const ready = grpcProbe(address, '', { failureThreshold: 2 });
    const live = grpcProbe(address, 'liveness');
    await ready.until('success', 3000);
    await proxy.refuse();
    const out = await ready.until('failure', 4000);
    await proxy.heal();
    const back = await ready.until('success', 4000);
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
