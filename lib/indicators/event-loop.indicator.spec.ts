import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EventLoopHealthIndicator,
  type EventLoopIndicatorSettings,
} from './event-loop.indicator.js';

/** What a check that fails on a threshold resolves with: its figures, a status and why. */
const failed = (output: RegExp | string) => ({
  status: 'fail',
  output: typeof output === 'string' ? output : expect.stringMatching(output),
});

const created: EventLoopHealthIndicator[] = [];

function indicator(settings: EventLoopIndicatorSettings = {}) {
  const instance = new EventLoopHealthIndicator(settings);
  created.push(instance);
  return instance;
}

/** Blocks the event loop, as a synchronous JSON.parse of a huge body or a crypto loop does. */
function block(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

afterEach(() => {
  for (const instance of created.splice(0)) instance.onModuleDestroy();
});

describe('EventLoopHealthIndicator', () => {
  it('passes with 0 before the first sample', async () => {
    const result = await indicator().check();
    expect(result).toMatchObject({
      observedValue: 0,
      observedUnit: 'ms',
      details: { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 },
    });
  });

  it('passes on an idle loop, with the delay beyond the sampling period', async () => {
    const subject = indicator();
    await sleep(100);
    const result = await subject.check();
    const details = result.details as Record<string, number>;
    // Loose bounds: a loaded CI machine delays timers too.
    expect(details.samples).toBeGreaterThan(0);
    expect(details.p99Ms).toBeLessThan(100);
    expect(details.windowMs).toBeGreaterThanOrEqual(99);
    expect(result.observedValue).toBe(details.p99Ms);
  });

  it('fails after a real 300 ms stall, then passes once the stall is in the past', async () => {
    const subject = indicator({ maxP99Ms: 100 });
    await sleep(30);
    block(300);
    await sleep(30); // lets the sampler see the late tick
    const stalled = await subject.check();
    expect(stalled).toMatchObject(
      failed(/^p99 delay \d+(\.\d+)? ms over the last \d+ ms, above maxP99Ms 100$/),
    );
    expect(stalled.observedValue).toBeGreaterThan(250);
    await sleep(50);
    const after = await subject.check();
    expect(after.status).toBeUndefined();
    expect(after.observedValue).toBeLessThan(100);
  });

  it('warns above warnP99Ms, below maxP99Ms', async () => {
    const subject = indicator({ maxP99Ms: 5000, warnP99Ms: 50 });
    await sleep(30);
    block(150);
    await sleep(30);
    const result = await subject.check();
    expect(result).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(/above warnP99Ms 50$/),
    });
    expect((result.details as { maxMs: number }).maxMs).toBeGreaterThan(100);
  });

  it('starts its first window when the application has bootstrapped', async () => {
    const subject = indicator({ maxP99Ms: 100 });
    await sleep(30);
    block(300); // as providers being created would
    await sleep(30);
    subject.onApplicationBootstrap();
    await sleep(30);
    await expect(subject.check()).resolves.toMatchObject({ observedUnit: 'ms' });
  });

  it('stops sampling when the module is destroyed', async () => {
    const subject = indicator();
    subject.onModuleDestroy();
    await sleep(50);
    expect((await subject.check()).details).toMatchObject({ samples: 0 });
  });

  it.each<[EventLoopIndicatorSettings, string]>([
    [{ maxP99Ms: 0 }, '"maxP99Ms" is number 0; it must be a number of milliseconds above 0.'],
    [{ maxP99Ms: Infinity }, '"maxP99Ms" is number Infinity'],
    [{ warnP99Ms: -1 }, '"warnP99Ms" is number -1'],
    [{ warnP99Ms: 200 }, '"warnP99Ms" is number 200; it must be below maxP99Ms (200).'],
    [{ maxP99Ms: 50, warnP99Ms: 80 }, '"warnP99Ms" is number 80; it must be below maxP99Ms (50).'],
  ])('refuses bad settings at start-up: %j', (settings, message) => {
    expect(() => indicator(settings)).toThrow(`EventLoopHealthIndicator: ${message}`);
  });
});
