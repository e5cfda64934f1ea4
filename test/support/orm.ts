import { expect } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import { HealthService, type CheckReport, type HealthReport } from '../../lib/index.js';
import { createTestApp, startUpFailure } from './app.js';
import type { TcpProxy } from './tcp-proxy.js';
import { sleep, until } from './wait.js';

export { sleep, until };

/**
 * What the ORM indicators' suites share: probing one indicator of a running app, and the outage
 * every one of them goes through (refused, then a black hole, each healed).
 */

export interface Probe {
  report: HealthReport;
  entry: CheckReport;
  /** How long the probe took, in ms. */
  ms: number;
}

/** One readiness probe, as the route would serve it, and the indicator's entry in it. */
export async function probe(app: INestApplication, name: string): Promise<Probe> {
  const started = performance.now();
  const report = await app.get(HealthService).check('ready');
  const ms = performance.now() - started;
  const entry = report.checks?.[`${name}:responseTime`]?.[0];
  if (!entry) throw new Error(`no "${name}" check in ${JSON.stringify(report)}`);
  return { report, entry, ms };
}

/** A probe that runs the indicator again, not one served from its cache of `ttlMs`. */
export async function freshProbe(app: INestApplication, name: string, ttlMs: number) {
  await sleep(ttlMs + 20);
  return probe(app, name);
}

/** Probes until the indicator's entry is one `accept` takes, or fails with the last one. */
export async function probeUntil(
  app: INestApplication,
  name: string,
  accept: (entry: CheckReport) => boolean,
  withinMs = 5000,
): Promise<Probe> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await probe(app, name);
    if (accept(result.entry)) return result;
    if (Date.now() > deadline) {
      throw new Error(`after ${withinMs} ms, "${name}" is still ${JSON.stringify(result.entry)}`);
    }
    await sleep(20);
  }
}

/**
 * The first passing probe. A pool's first connection is opened by the first run: on a loaded
 * machine that can take longer than the short timeouts these suites use, and fail that run.
 */
export const passing = (app: INestApplication, name: string) =>
  probeUntil(app, name, (entry) => entry.status === 'pass');

/**
 * Fresh runs (each once the cached result has expired) until one passes; resolves with how many
 * it took, failing after `runs`. A recovered dependency passes on the first run after it is back,
 * unless a loaded machine makes that run's new connection outlast a suite's short timeout; a pool
 * left broken by the outage never passes again.
 */
export async function passesWithinRuns(
  app: INestApplication,
  name: string,
  ttlMs: number,
  runs = 3,
): Promise<number> {
  let last: CheckReport | undefined;
  for (let run = 1; run <= runs; run++) {
    last = (await freshProbe(app, name, ttlMs)).entry;
    if (last.status === 'pass') return run;
  }
  throw new Error(`still failing after ${runs} fresh runs: ${JSON.stringify(last)}`);
}

export interface Outage {
  app: INestApplication;
  /** The indicator's name. */
  name: string;
  /** The proxy between the ORM and its server. */
  proxy: TcpProxy;
  timeoutMs: number;
  ttlMs: number;
  /** The output of a check whose server refuses connections. */
  refused: RegExp;
  /**
   * Connections left open after each of three runs given up on in a black hole: 0 when the run
   * closed what it started (the pooled connection its query hung on, destroyed; or the one being
   * opened for it, closed); 1 when the ORM cannot be told to (a connection being opened, left to
   * the pool's timeouts; a query Prisma cannot cancel): the next runs wait for it, opening none.
   */
  leftOpen: readonly [number, number, number];
}

/**
 * Passes; fails fast and says why while the server refuses connections, and passes within a TTL
 * of its return; fails at its timeout, run after run, while the server hangs (a black hole); and
 * passes again within a TTL once the server is back. Nothing the runs opened is left behind.
 */
export async function outage(o: Outage): Promise<void> {
  const { app, name, proxy, timeoutMs, ttlMs } = o;
  await passing(app, name);

  await proxy.refuse();
  const refused = await freshProbe(app, name, ttlMs);
  expect(refused.entry.status).toBe('fail');
  // Its own error, not the timeout's: the check failed fast rather than waiting the timeout out
  // (wall-clock bounds here flake when two jest workers share two cores).
  expect(refused.entry.output).toMatch(o.refused);
  expect(refused.entry.output).not.toMatch(/timed out/);
  await proxy.heal();
  await passesWithinRuns(app, name, ttlMs);

  proxy.blackhole();
  const acceptedBefore = proxy.accepted;
  for (let run = 1; run <= 3; run++) {
    const { entry, ms } = await freshProbe(app, name, ttlMs);
    expect(entry).toMatchObject({ status: 'fail', output: `timed out after ${timeoutMs} ms` });
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 5);
    // Bounded by the timeout, with room for a loaded machine's scheduling and the HTTP round trip.
    expect(ms).toBeLessThan(timeoutMs + 1000);
    const left = o.leftOpen[run - 1];
    // The proxy holds two sockets per connection: the client's and its own to the server.
    await until(
      () => proxy.openSockets <= 2 * left,
      `at most ${left} connection(s) left open after run ${run}`,
      500,
    );
  }
  // A run opens a connection only when the one before left none open (run 1 uses the pool's).
  const opened = o.leftOpen.slice(0, 2).filter((left) => left === 0).length;
  expect(proxy.accepted - acceptedBefore).toBeLessThanOrEqual(opened);
  // Whatever still hangs (connections the ORM keeps through a black hole) ends with the network.
  await proxy.refuse();
  await proxy.heal();
  await passesWithinRuns(app, name, ttlMs);
}

/**
 * Closes the app (its ORMs with it) and waits until no connection through any of the proxies is
 * left: each closes when its server has seen the client go, each in its own time.
 */
export async function closeLeavesNothing(
  app: INestApplication,
  ...proxies: TcpProxy[]
): Promise<void> {
  await app.close();
  const open = () => proxies.map((proxy) => proxy.openSockets);
  await until(
    () => open().every((sockets) => sockets === 0),
    () => `every connection to close with the app (sockets open per proxy: ${open().join(', ')})`,
  );
}

/** Boots an app that must fail to start, and returns why. */
export function startUpError(providers: Provider[]): Promise<string> {
  return startUpFailure(() => createTestApp({ providers }));
}
