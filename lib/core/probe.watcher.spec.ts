import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, take, tap, toArray, type Subscription } from 'rxjs';
import { defineIndicator } from '../../test/support/indicators.js';
import { HealthModule } from '../health.module.js';
import { HealthService } from '../health.service.js';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';

let context: INestApplicationContext | undefined;
const subscriptions: Subscription[] = [];

async function service(providers: Provider[], options: HealthModuleOptions = {}) {
  @Module({ imports: [HealthModule.forRoot({ logger: false, ...options })], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  context = moduleRef;
  await moduleRef.init();
  return moduleRef.get(HealthService);
}

/** Subscribes for the test, collecting what it sees. */
function collect(health: HealthService, probe: string): HealthStatus[] {
  const seen: HealthStatus[] = [];
  subscriptions.push(health.watch(probe).subscribe((status) => seen.push(status)));
  return seen;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The time between consecutive runs. */
const gaps = (times: number[]) => times.slice(1).map((at, i) => at - times[i]!);

/** Waits until `condition` holds, up to `ms`. */
async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  await context?.close();
  context = undefined;
});

describe('HealthService.watch()', () => {
  it('emits the current status at once, then every change, with no probe traffic', async () => {
    let down = false;
    const database = defineIndicator({ name: 'database', cacheTtlMs: 100 }, () => {
      if (down) throw new Error('connection refused');
    });
    const health = await service([database]);
    const seen = collect(health, 'ready');
    await until(() => seen.length === 1);
    expect(seen).toEqual(['pass']);
    down = true;
    await until(() => seen.length === 2);
    down = false;
    await until(() => seen.length === 3);
    expect(seen).toEqual(['pass', 'fail', 'pass']);
  });

  it('gives a late subscriber the current status at once', async () => {
    const health = await service([defineIndicator({ name: 'database' })]);
    const first = collect(health, 'ready');
    await until(() => first.length === 1);
    expect(await firstValueFrom(health.watch('ready'))).toBe('pass');
  });

  it('runs the checks no more often than their cache says, however many watch', async () => {
    const runs: number[] = [];
    const database = defineIndicator({ name: 'database', cacheTtlMs: 200 }, () => {
      runs.push(performance.now());
    });
    const health = await service([database]);
    for (let i = 0; i < 50; i++) {
      collect(health, 'ready');
      collect(health, 'deep');
    }
    // The 100 watchers of two probes together: one run per 200 ms period, never two in one. The
    // gaps, not a count in a fixed time: a loaded machine only makes them longer.
    await until(() => runs.length >= 4);
    expect(Math.min(...gaps(runs))).toBeGreaterThanOrEqual(200 - 5);
  });

  it('runs a check cached for no time at most once a second while watched', async () => {
    const runs: number[] = [];
    const database = defineIndicator({ name: 'database', cacheTtlMs: 0 }, () => {
      runs.push(performance.now());
    });
    const health = await service([database]);
    collect(health, 'ready');
    await until(() => runs.length >= 3);
    expect(Math.min(...gaps(runs))).toBeGreaterThanOrEqual(1000 - 5);
  });

  it('runs nothing more once nobody watches', async () => {
    const database = defineIndicator({ name: 'database', cacheTtlMs: 100 });
    const health = await service([database]);
    const instance = context!.get(database);
    collect(health, 'ready');
    await sleep(350);
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    const runs = instance.runs;
    await sleep(400);
    expect(instance.runs).toBe(runs);
  });

  it('follows background checks as they run, without running them itself', async () => {
    let down = false;
    const queue = defineIndicator({ name: 'queue', refreshIntervalMs: 100 }, () => {
      if (down) throw new Error('no consumer');
    });
    const health = await service([queue]);
    const seen = collect(health, 'ready');
    await until(() => seen.length === 1);
    down = true;
    await until(() => seen.includes('fail'));
    expect(seen).toEqual(['pass', 'fail']);
  });

  it('sees readiness change at once: markNotReady(), markReady() and a shutdown', async () => {
    const health = await service([defineIndicator({ name: 'database', cacheTtlMs: 60_000 })], {
      shutdown: false,
    });
    const ready = collect(health, 'ready');
    const live = collect(health, 'live');
    await until(() => ready.length === 1);
    health.markNotReady('maintenance');
    expect(ready).toEqual(['pass', 'fail']);
    health.markReady();
    expect(ready).toEqual(['pass', 'fail', 'pass']);
    expect(live).toEqual(['pass']);
  });

  it('sees start-up complete', async () => {
    let warm = false;
    const warmup = defineIndicator({ name: 'warmup', probes: ['startup'], cacheTtlMs: 50 }, () => {
      if (!warm) throw new Error('loading');
    });
    const health = await service([warmup, defineIndicator({ name: 'database' })]);
    const startup = collect(health, 'startup');
    const ready = collect(health, 'ready');
    await until(() => ready.length === 1 && startup.length === 1);
    expect([startup, ready]).toEqual([['fail'], ['fail']]);
    warm = true;
    await until(() => ready.length === 2 && startup.length === 2);
    expect([startup, ready]).toEqual([
      ['fail', 'pass'],
      ['fail', 'pass'],
    ]);
  });

  it('watches a group like a probe', async () => {
    const health = await service(
      [defineIndicator({ name: 'stripe' }), defineIndicator({ name: 'database' })],
      { groups: { payments: { include: ['stripe'] } } },
    );
    expect(await firstValueFrom(health.watch('payments'))).toBe('pass');
  });

  it('sees readiness fail as the application closes, then completes', async () => {
    const health = await service([defineIndicator({ name: 'database' })]);
    const seen: HealthStatus[] = [];
    const watching = health.watch('ready').pipe(tap((status) => seen.push(status)));
    const statuses = firstValueFrom(watching.pipe(take(5), toArray()));
    await until(() => seen.length === 1);
    await context!.close();
    context = undefined;
    expect(await statuses).toEqual(['pass', 'fail']);
  });

  it('fails to watch a probe the application does not have', async () => {
    const health = await service([]);
    await expect(firstValueFrom(health.watch('nope'))).rejects.toThrow(
      'Unknown probe or group "nope"',
    );
  });
});
