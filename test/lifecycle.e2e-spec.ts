import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ProbeSimulator } from './support/kubelet.js';
import { LoadGenerator } from './support/load.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';

/**
 * Start-up and shutdown of the built sample, spawned as a real process and watched by a
 * simulated kubelet, its shutdown handed over to the library (handleShutdown) or left to Nest's
 * signal handler (enableShutdownHooks(), held by the HTTP adapter's beforeClose()).
 */

const DELAY_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The epoch-ms timestamp a log line of the sample ends with (`... at 1763700000000`). */
function loggedAt(sample: Sample, pattern: RegExp): number | undefined {
  const line = sample.lines.find(({ text }) => pattern.test(text));
  const match = line && /at (\d{13})/.exec(line.text);
  return match ? Number(match[1]) : undefined;
}

async function untilReady(url: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(url)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${url} never turned 200`);
    await sleep(50);
  }
}

/** A probe every 20 ms that fails on the first failure: fine-grained timing of a shutdown. */
const probe = (url: string) =>
  new ProbeSimulator({ url, periodMs: 20, timeoutMs: 1000, failureThreshold: 1 }).start();

let sample: Sample | undefined;

afterEach(async () => {
  if (running(sample)) await stopSample(sample);
  sample = undefined;
});

describe.each([
  ['closed on a signal by Nest’s handler (enableShutdownHooks() too)', 'true'],
  ['handed over (handleShutdown(app))', 'false'],
])('the sample %s', (_, hooks) => {
  it('turns startup from 503 to 200 only after the warm-up, and is never ready before', async () => {
    sample = await startSample({ WARMUP_MS: '1200', SHUTDOWN_HOOKS: hooks });
    const startup = new ProbeSimulator({
      url: sample.urls.startup,
      periodMs: 100,
      timeoutMs: 1000,
      failureThreshold: 30,
    }).start();
    const ready = new ProbeSimulator({
      url: sample.urls.ready,
      periodMs: 100,
      timeoutMs: 1000,
    }).start();
    const latched = await startup.until('success', 8000);
    await ready.until('success', 3000);
    await Promise.all([startup.stop(), ready.stop()]);

    const warmedUpAt = loggedAt(sample, /Reference data loaded/);
    expect(warmedUpAt).toBeDefined();
    expect(latched.from).toBe('unknown');
    expect(startup.attempts[0].status).toBe(503);
    for (const attempt of startup.attempts.filter((a) => a.doneAt < warmedUpAt!)) {
      expect(attempt.status).toBe(503);
    }
    expect(latched.at).toBeGreaterThanOrEqual(warmedUpAt!);
    const readyBefore = ready.attempts.filter((a) => a.status === 200 && a.doneAt < warmedUpAt!);
    expect(readyBefore).toEqual([]);
    expect(ready.attempts.some((a) => a.status === 503)).toBe(true);
  });

  describe('on SIGTERM under load', () => {
    let signalledAt = 0;
    let exit: Awaited<Sample['exited']>;
    let load: LoadGenerator;
    let ready: ProbeSimulator;
    let live: ProbeSimulator;
    let closedAt: number | undefined;
    let lines: Sample['lines'] = [];

    beforeAll(async () => {
      const started = await startSample({
        WARMUP_MS: '0',
        SHUTDOWN_DELAY_MS: String(DELAY_MS),
        SHUTDOWN_HOOKS: hooks,
      });
      lines = started.lines;
      await untilReady(started.urls.ready);
      load = new LoadGenerator(`${started.urls.orders}/1001`, 4).start();
      ready = probe(started.urls.ready);
      live = probe(started.urls.live);
      await sleep(300);
      signalledAt = Date.now();
      started.child.kill('SIGTERM');
      exit = await started.exited;
      await Promise.all([load.stop(), ready.stop(), live.stop()]);
      closedAt = loggedAt(started, /Database connection closed/);
    }, 20_000);

    it('fails readiness as soon as it handles the signal, and never passes it again', () => {
      // When the app said so (the line reached this process), whatever the load delayed it by.
      const begun = lines.find(({ text }) => /SIGTERM: readiness now fails/.test(text));
      expect(begun).toBeDefined();
      expect(begun!.at - signalledAt).toBeLessThan(1000);
      const after = ready.attempts.filter((a) => a.sentAt >= begun!.at);
      expect(after[0]?.status).toBe(503);
      expect(after.filter((a) => a.status === 200)).toEqual([]);
    });

    it('keeps liveness at 200 until the server closes', () => {
      const answered = live.attempts.filter((a) => a.status !== undefined);
      expect(answered.every((a) => a.status === 200)).toBe(true);
      const lastAnswer = answered.at(-1)!;
      expect(lastAnswer.doneAt).toBeGreaterThanOrEqual(signalledAt + DELAY_MS - 100);
      // Once closed it is refused, which the kubelet would count as a failure, but it never
      // restarts a pod that is terminating.
      expect(live.attempts.filter((a) => a.sentAt > lastAnswer.doneAt).every((a) => a.error)).toBe(
        true,
      );
    });

    it('fails no ordinary request that started during the delay', () => {
      const during = load.requests.filter(
        (r) => r.startedAt >= signalledAt && r.startedAt < signalledAt + DELAY_MS,
      );
      expect(during.length).toBeGreaterThan(10);
      expect(during.filter((r) => r.status !== 200)).toEqual([]);
      expect(load.requests.filter((r) => r.startedAt < signalledAt && r.status !== 200)).toEqual(
        [],
      );
    });

    it('closes the application’s connections only after the delay', () => {
      expect(closedAt).toBeDefined();
      expect(closedAt!).toBeGreaterThanOrEqual(signalledAt + DELAY_MS);
    });

    it('exits with code 0 after the delay plus the drain', () => {
      expect(exit).toMatchObject({ code: 0, signal: null });
      const total = exit.at - signalledAt;
      expect(total).toBeGreaterThanOrEqual(DELAY_MS);
      expect(total).toBeLessThan(DELAY_MS + 1500);
    });
  });
});

describe('the sample, shut down by beginShutdown()', () => {
  it('fails readiness at once, then exits 0 after the delay', async () => {
    sample = await startSample({ WARMUP_MS: '0', SHUTDOWN_DELAY_MS: '800' });
    await untilReady(sample.urls.ready);
    const base = sample.urls.live.replace(/\/health\/live$/, '');
    const requestedAt = Date.now();
    expect((await fetch(`${base}/admin/shutdown`, { method: 'POST' })).status).toBe(202);
    const ready = await fetch(sample.urls.ready);
    expect([ready.status, ((await ready.json()) as { output: string }).output]).toEqual([
      503,
      'shutting down',
    ]);
    expect((await fetch(sample.urls.live)).status).toBe(200);
    const exit = await sample.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - requestedAt).toBeGreaterThanOrEqual(800);
  });

  it('takes itself out of rotation and back without touching liveness', async () => {
    sample = await startSample({ WARMUP_MS: '0' });
    await untilReady(sample.urls.ready);
    const base = sample.urls.live.replace(/\/health\/live$/, '');
    await fetch(`${base}/admin/rotation/out`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'reindexing' }),
    });
    const ready = await fetch(sample.urls.ready);
    expect([ready.status, ((await ready.json()) as { output: string }).output]).toEqual([
      503,
      'reindexing',
    ]);
    expect((await fetch(sample.urls.live)).status).toBe(200);
    await fetch(`${base}/admin/rotation/in`, { method: 'POST' });
    expect((await fetch(sample.urls.ready)).status).toBe(200);
  });
});
