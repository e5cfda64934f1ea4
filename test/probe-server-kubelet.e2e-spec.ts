import { afterEach, describe, expect, it } from '@jest/globals';
import { expectProbesThroughSaturation, ProbeSimulator } from './support/kubelet.js';
import { sleep } from './support/wait.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';

/**
 * The kubelet's view of the sample's probe server (its probes on their own port, answered by a
 * worker thread), with the kubelet's default timeout of 1 s: an app that is only busy is never
 * taken for dead, an app whose event loop is stuck is, and it comes back as soon as it turns.
 */

let sample: Sample | undefined;

afterEach(async () => {
  if (running(sample)) await stopSample(sample);
  sample = undefined;
});

async function untilReady(url: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(url)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${url} never turned 200`);
    await sleep(50);
  }
}

/** The kubelet's defaults for liveness, faster: a 1 s timeout, every 100 ms. */
const kubelet = (url: string, failureThreshold = 3) =>
  new ProbeSimulator({ url, periodMs: 100, timeoutMs: 1000, failureThreshold }).start();

describe('the sample’s probe server, as the kubelet sees it', () => {
  it('keeps a saturated app live and ready: the probes never wait behind business requests', async () => {
    const started = (sample = await startSample({ WARMUP_MS: '0' }));
    await untilReady(started.probes.ready);
    await expectProbesThroughSaturation(started.urls.orders, () => [
      kubelet(started.probes.live),
      kubelet(started.probes.ready),
    ]);
  });

  it('takes a stuck event loop for dead after maxStallMs, and live again as soon as it turns', async () => {
    sample = await startSample({ WARMUP_MS: '0', MAX_STALL_MS: '1000' });
    await untilReady(sample.probes.ready);
    const live = kubelet(sample.probes.live, 1);
    const ready = kubelet(sample.probes.ready, 1);
    await live.until('success', 2000);
    const stalledAt = Date.now();
    const stall = fetch(`${sample.urls.faults.replace('/faults', '/stall')}?ms=3000`, {
      method: 'POST',
    });
    const dead = await live.until('failure', 3000);
    const alive = await live.until('success', 4000);
    await stall;
    // Readiness too, once the main thread has published fresh results.
    await ready.until('success', 3000);
    await Promise.all([live.stop(), ready.stop()]);
    // Taken for dead within maxStallMs (plus a probe period and a beat) of the stall...
    expect(dead.at - stalledAt).toBeGreaterThanOrEqual(900);
    expect(dead.at - stalledAt).toBeLessThanOrEqual(1000 + 500);
    // ...alive again within half a second of the loop turning, and never timed out meanwhile.
    expect(alive.at - stalledAt).toBeLessThanOrEqual(3000 + 500);
    expect(live.attempts.filter((attempt) => attempt.error !== undefined)).toEqual([]);
    expect(ready.transitions.map((t) => t.to)).toEqual(['success', 'failure', 'success']);
  });

  it('fails readiness at once on SIGTERM and keeps liveness through the delay', async () => {
    sample = await startSample({ WARMUP_MS: '0', SHUTDOWN_DELAY_MS: '1000' });
    await untilReady(sample.probes.ready);
    const live = kubelet(sample.probes.live, 1);
    const ready = kubelet(sample.probes.ready, 1);
    await ready.until('success', 2000);
    const signalledAt = Date.now();
    sample.child.kill('SIGTERM');
    const out = await ready.until('failure', 1000);
    const exit = await sample.exited;
    await Promise.all([live.stop(), ready.stop()]);
    expect(exit.code).toBe(0);
    expect(out.at - signalledAt).toBeLessThanOrEqual(300);
    const answered = live.attempts.filter((attempt) => attempt.status !== undefined);
    expect(answered.every((attempt) => attempt.status === 200)).toBe(true);
    expect(answered.at(-1)!.doneAt).toBeGreaterThanOrEqual(signalledAt + 900);
  });
});
