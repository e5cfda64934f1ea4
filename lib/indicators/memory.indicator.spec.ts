import { describe, expect, it } from '@jest/globals';
import { MemoryHealthIndicator, type MemoryIndicatorSettings } from './memory.indicator.js';

/** What a check that fails on a threshold resolves with: its figures, a status and why. */
const failed = (output: RegExp | string) => ({
  status: 'fail',
  output: typeof output === 'string' ? output : expect.stringMatching(output),
});

const check = (settings: MemoryIndicatorSettings, signal = new AbortController().signal) =>
  new MemoryHealthIndicator(settings).check(signal);

describe('MemoryHealthIndicator', () => {
  it('passes with the resident set size, the heap, and the limit found (or none)', async () => {
    const result = await check({});
    expect(result).toMatchObject({ observedValue: expect.any(Number), observedUnit: 'bytes' });
    const details = result.details as Record<string, unknown>;
    expect(details).toMatchObject({
      heapUsedBytes: expect.any(Number),
      heapTotalBytes: expect.any(Number),
      rssBytes: result.observedValue,
    });
    // Whatever this machine has: a real limit with the share of it, or none, said so.
    if (details.limitBytes === null) {
      expect(details).toMatchObject({
        rssPercent: null,
        note: 'no memory limit found: maxRssPercent not applied',
      });
    } else {
      expect(details.limitBytes).toBeGreaterThan(0);
      expect(details.rssPercent).toBeGreaterThan(0);
    }
  });

  it('measures against the limit given, instead of the one found', async () => {
    const rss = process.memoryUsage.rss();
    const result = await check({ limitBytes: rss * 4 });
    expect(result.details).toMatchObject({ limitBytes: rss * 4 });
    expect((result.details as { rssPercent: number }).rssPercent).toBeGreaterThan(15);
    expect((result.details as { rssPercent: number }).rssPercent).toBeLessThan(35);
    expect(result.details).not.toHaveProperty('note');
  });

  it('fails above maxRssPercent of the limit, 90 by default', async () => {
    const rss = process.memoryUsage.rss();
    expect(await check({ limitBytes: Math.round(rss / 2) })).toMatchObject(
      failed(
        /^rss [\d.]+ [kMG]B is \d+(\.\d+)?% of the [\d.]+ [kMG]B limit, above maxRssPercent 90$/,
      ),
    );
    expect(await check({ limitBytes: rss * 4, maxRssPercent: 10 })).toMatchObject(
      failed(/above maxRssPercent 10$/),
    );
  });

  it('ignores maxRssPercent without a limit, and says so', async () => {
    const result = await check({ limitBytes: null, maxRssPercent: 1 });
    expect(result.details).toMatchObject({
      limitBytes: null,
      rssPercent: null,
      note: 'no memory limit found: maxRssPercent not applied',
    });
  });

  it('fails above maxRssBytes and maxHeapUsedBytes, naming every threshold crossed', async () => {
    expect(await check({ maxRssBytes: 1 })).toMatchObject(
      failed(/^rss [\d.]+ [kMG]B, above maxRssBytes 1 B$/),
    );
    expect(await check({ maxHeapUsedBytes: 1000 })).toMatchObject(
      failed(/^heap used [\d.]+ [kMG]B, above maxHeapUsedBytes 1 kB$/),
    );
    expect(await check({ maxRssBytes: 1, maxHeapUsedBytes: 1, limitBytes: 1 })).toMatchObject(
      failed(
        /^rss .+, above maxRssBytes 1 B; rss .+ limit, above maxRssPercent 90; heap used .+, above maxHeapUsedBytes 1 B$/,
      ),
    );
  });

  it('passes under generous thresholds', async () => {
    const result = await check({
      maxRssBytes: 2 ** 50,
      maxHeapUsedBytes: 2 ** 50,
      limitBytes: null,
    });
    expect(result.observedValue).toBeGreaterThan(0);
  });

  it('rejects with an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(check({}, controller.signal)).rejects.toThrow('timed out');
  });

  it.each<[MemoryIndicatorSettings, string]>([
    [
      { maxRssBytes: 0 },
      '"maxRssBytes" is number 0; it must be an integer number of bytes above 0.',
    ],
    [{ maxHeapUsedBytes: -5 }, '"maxHeapUsedBytes" is number -5'],
    [
      { maxRssPercent: 0 },
      '"maxRssPercent" is number 0; it must be a percentage above 0, up to 100.',
    ],
    [{ maxRssPercent: 101 }, '"maxRssPercent" is number 101'],
    [
      { limitBytes: 0.5 },
      '"limitBytes" is number 0.5; it must be an integer number of bytes above 0, or null (no limit).',
    ],
    [{ maxRssBytes: '1GB' } as unknown as MemoryIndicatorSettings, '"maxRssBytes" is "1GB"'],
  ])('refuses bad settings at start-up: %j', (settings, message) => {
    expect(() => new MemoryHealthIndicator(settings)).toThrow(`MemoryHealthIndicator: ${message}`);
  });
});
