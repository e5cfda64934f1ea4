import { afterEach, expect, it } from '@jest/globals';
import { HaproxyCluster, NAMES, Started, type Instance } from './support/haproxy-cluster.js';
import type { LoadRequest } from './support/load.js';
import { describeWithBinary } from './support/servers.js';
import { sleep, until } from './support/wait.js';

/**
 * The README's promise, kept by a real load balancer: HAProxy in front of three instances of a
 * small app (built package), with an active check of `/health/ready`, steady traffic through it,
 * and neither retries nor redispatch to hide a failed request. A rolling restart loses nothing
 * with the graceful shutdown (its delay outlasts `fall x inter`), and loses requests without it;
 * an instance whose critical dependency fails leaves rotation within `fall x inter` of its
 * readiness failing, one whose non-critical dependency fails stays.
 */

const CHECK = { interMs: 200, fall: 2, rise: 2 };
/** How long HAProxy takes to see a readiness that fails: `fall` checks, `inter` apart. */
const FALL_MS = CHECK.interMs * CHECK.fall;
/** What a loaded machine may add to FALL_MS: a check's own time, and this test's polling. */
const SLACK_MS = 600;
/** The shutdown delay: longer than FALL_MS and its slack, so that it proves what it should. */
const DELAY_MS = 1500;

const started = new Started();
afterEach(() => started.stopAll());

const cluster = (graceful: boolean) =>
  HaproxyCluster.start({ graceful, delayMs: DELAY_MS, check: CHECK }, started);

const failures = (requests: LoadRequest[]) =>
  requests.filter((r) => r.error !== undefined || r.status !== 200).map((r) => r.error ?? r.status);

/** Resolves once the instance has exited; fails if it still runs 20 s after its SIGTERM. */
async function exitOf(instance: Instance): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('an instance runs 20 s after SIGTERM')), 20_000);
  });
  await Promise.race([instance.closed, late]).finally(() => clearTimeout(timer));
}

/** SIGTERM to each instance in turn, a new one once it has gone, back in rotation before the next. */
async function rollingRestart(graceful: boolean) {
  const c = await cluster(graceful);
  const load = c.load();
  await sleep(300);
  const timings: { out: number; exit: number }[] = [];
  for (const [i, name] of NAMES.entries()) {
    const old = c.instances[i]!;
    const signalledAt = Date.now();
    old.child.kill('SIGTERM');
    await exitOf(old);
    const exitedAt = Date.now();
    if (graceful) {
      const notReady = await c.readinessAt(old, 'fail', signalledAt);
      timings.push({ out: c.downAt(name, signalledAt)! - notReady, exit: exitedAt - notReady });
    }
    await c.startInstance(i);
    await until(() => c.stateOf(name) === 'UP', `${name} back in rotation`, 20_000);
  }
  await sleep(300);
  await load.stop();
  return { total: load.requests.length, failed: failures(load.requests), timings };
}

describeWithBinary('haproxy', 'behind HAProxy (retries 0, no redispatch)', () => {
  it('drops no request in a rolling restart with the graceful shutdown, and some without it', async () => {
    const graceful = await rollingRestart(true);
    expect(graceful.failed).toEqual([]);
    expect(graceful.total).toBeGreaterThan(100);
    for (const { out, exit } of graceful.timings) {
      // Out of rotation within fall x inter of readiness failing; serving until well after.
      expect(out).toBeLessThanOrEqual(FALL_MS + SLACK_MS);
      expect(exit).toBeGreaterThanOrEqual(DELAY_MS);
    }
    await started.stopAll();

    // The control: the same restart, each instance closing at once on SIGTERM.
    const control = await rollingRestart(false);
    expect(control.total).toBeGreaterThan(100);
    expect(control.failed.length).toBeGreaterThan(0);
  }, 180_000);

  it('takes out an instance whose critical dependency fails, within fall x inter; keeps one whose non-critical one fails', async () => {
    const c = await cluster(true);
    const since = Date.now();
    const load = c.load();
    const readiness = (i: number) =>
      fetch(`http://127.0.0.1:${c.ports[i]}/health/ready`).then(async (r) => ({
        code: r.status,
        status: ((await r.json()) as { status: string }).status,
      }));

    await c.cache[1]!.refuse();
    await until(async () => (await readiness(1)).status === 'warn', 'b to warn', 10_000);
    expect(await readiness(1)).toEqual({ code: 200, status: 'warn' });
    // Still in rotation: b answers its share of the traffic (with the load, not every third).
    const answered = new Set<string>();
    await until(
      async () => {
        const response = await fetch(`http://127.0.0.1:${c.haproxy.port}/work`);
        answered.add(((await response.json()) as { instance: string }).instance);
        return answered.size === NAMES.length;
      },
      () => `every instance to answer through HAProxy (so far: ${[...answered].join(', ')})`,
      10_000,
    );

    const cutAt = Date.now();
    await c.db[0]!.refuse();
    await until(() => c.downAt('a', cutAt) !== undefined, 'HAProxy to take a out', 10_000);
    const notReady = await c.readinessAt(c.instances[0]!, 'fail', cutAt);
    expect(c.downAt('a', cutAt)! - notReady).toBeLessThanOrEqual(FALL_MS + SLACK_MS);
    await c.db[0]!.heal();
    await until(() => c.stateOf('a') === 'UP', 'a back in rotation', 10_000);
    await sleep(200);
    await load.stop();

    expect(failures(load.requests)).toEqual([]);
    // b warned all along and never left rotation, nor was it ever a check away from leaving.
    expect(c.changes.filter((x) => x.server === 'b' && x.at >= since)).toEqual([]);
    expect(c.stateOf('b')).toBe('UP');
  }, 90_000);
});
