import { describe, expect, it } from '@jest/globals';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { DiskHealthIndicator, type DiskIndicatorSettings } from './disk.indicator.js';

/** What a check that fails on a threshold resolves with: its figures, a status and why. */
const failed = (output: RegExp | string) => ({
  status: 'fail',
  output: typeof output === 'string' ? output : expect.stringMatching(output),
});

const check = (settings: DiskIndicatorSettings, signal = new AbortController().signal) =>
  new DiskHealthIndicator(settings).check(signal);

describe('DiskHealthIndicator', () => {
  it('passes with the free bytes an unprivileged process can use, and the whole picture', async () => {
    const result = await check({});
    const stats = await statfs('/');
    expect(result).toMatchObject({ observedUnit: 'bytes' });
    expect(result.status).toBeUndefined();
    const details = result.details as Record<string, number>;
    expect(details).toEqual({
      path: '/',
      totalBytes: stats.blocks * stats.bsize,
      freeBytes: result.observedValue,
      freePercent: expect.any(Number),
    });
    // Free space moves while the suite runs; it cannot move by much.
    expect(Math.abs(details.freeBytes - stats.bavail * stats.bsize)).toBeLessThan(1e9);
    expect(details.freePercent).toBeCloseTo((stats.bavail / stats.blocks) * 100, 0);
  });

  it('watches the file system of the path given', async () => {
    const result = await check({ path: tmpdir() });
    expect(result.details).toMatchObject({ path: tmpdir() });
  });

  it('fails below minFreeBytes, saying how much is free where, and keeping the figures', async () => {
    const result = await check({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(result).toMatchObject(
      failed(/^only \d+(\.\d)? [kMGTP]?B free on \/ \([\d.]+%\), below minFreeBytes 9 PB$/),
    );
    expect(result).toMatchObject({
      observedValue: expect.any(Number),
      observedUnit: 'bytes',
      details: { path: '/', freePercent: expect.any(Number) },
    });
  });

  it('fails below minFreePercent', async () => {
    expect(await check({ minFreePercent: 100 })).toMatchObject(
      failed(/^only .+ free on \/ \([\d.]+%\), below minFreePercent 100$/),
    );
  });

  it('warns below warnFreePercent or warnFreeBytes, above the failure thresholds', async () => {
    const byPercent = await check({ minFreePercent: 0, warnFreePercent: 100 });
    expect(byPercent).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(/^only .+ free on \/ \(.+\), below warnFreePercent 100$/),
    });
    const byBytes = await check({ minFreeBytes: 0, warnFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(byBytes).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(/below warnFreeBytes 9 PB$/),
    });
  });

  it('keeps the default minFreePercent of 5 only when no threshold is given', async () => {
    // minFreeBytes 0 replaces the default: a full disk would pass, so this one must.
    await expect(check({ minFreeBytes: 0 })).resolves.toMatchObject({ observedUnit: 'bytes' });
    expect(() => new DiskHealthIndicator({ warnFreePercent: 5 })).toThrow(
      'DiskHealthIndicator: "warnFreePercent" is number 5; it must be above minFreePercent (5).',
    );
  });

  it('fails with the reason when the path does not exist', async () => {
    await expect(check({ path: '/no/such/mount' })).rejects.toThrow(/ENOENT/);
  });

  it('rejects at once with an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(check({}, controller.signal)).rejects.toThrow('timed out');
  });

  it.each<[DiskIndicatorSettings, string]>([
    [{ path: '' }, '"path" is ""; it must be a non-empty path'],
    [{ minFreeBytes: -1 }, '"minFreeBytes" is number -1; it must be an integer number of bytes'],
    [{ minFreeBytes: 1.5 }, '"minFreeBytes" is number 1.5'],
    [{ minFreePercent: 120 }, '"minFreePercent" is number 120; it must be a percentage'],
    [{ warnFreePercent: Number.NaN }, '"warnFreePercent" is number NaN'],
    [
      { minFreeBytes: 10, warnFreeBytes: 10 },
      '"warnFreeBytes" is number 10; it must be above minFreeBytes (10)',
    ],
    [null as unknown as DiskIndicatorSettings, '"settings" is null; it must be an object'],
  ])('refuses bad settings at start-up: %j', (settings, message) => {
    expect(() => new DiskHealthIndicator(settings)).toThrow(`DiskHealthIndicator: ${message}`);
  });
});
