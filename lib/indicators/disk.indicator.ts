import type { StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';
import { PendingCall } from './support/client-call.js';
import { formatBytes } from './support/format-bytes.js';

/** Settings of `DiskHealthIndicator`. With no threshold at all, `minFreePercent` is 5. */
export interface DiskIndicatorSettings {
  /** A path on the file system to watch (any file or directory on it). Default `'/'`. */
  path?: string;
  /** Fails below this many free bytes. Default: none. */
  minFreeBytes?: number;
  /** Fails below this percentage of the file system free. Default: 5, unless `minFreeBytes` is set. */
  minFreePercent?: number;
  /** Warns (status `warn`) below this many free bytes. Default: none. */
  warnFreeBytes?: number;
  /** Warns (status `warn`) below this percentage free. Default: none. */
  warnFreePercent?: number;
}

const round = (value: number) => Math.round(value * 100) / 100;

/** Free space of a file system, as an unprivileged process sees it (root's reserve excluded). */
export class DiskHealthIndicator extends BuiltInIndicator<DiskIndicatorSettings> {
  static override readonly defaults = {
    name: 'disk',
    componentType: 'system',
    measurement: 'free',
  };
  static override readonly settingKeys = settingKeysOf<DiskIndicatorSettings>(
    'path',
    'minFreeBytes',
    'minFreePercent',
    'warnFreeBytes',
    'warnFreePercent',
  );

  /**
   * statfs cannot be cancelled. On a hung mount (NFS) each call holds one of libuv's 4 threads,
   * which fs, dns and crypto share: calls never pile up, the checks wait on the one in flight.
   */
  private readonly statfsCall = new PendingCall<StatsFs>();

  protected override validate(settings: DiskIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    if (settings.path !== undefined && (typeof settings.path !== 'string' || !settings.path)) {
      throw bad('path', settings.path, 'a non-empty path, such as "/" or "/var/lib/data"');
    }
    for (const key of ['minFreeBytes', 'warnFreeBytes'] as const) {
      const value = settings[key];
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
        throw bad(key, value, 'an integer number of bytes, 0 or more');
      }
    }
    for (const key of ['minFreePercent', 'warnFreePercent'] as const) {
      const value = settings[key];
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 100)) {
        throw bad(key, value, 'a percentage from 0 to 100');
      }
    }
    const { minFreePercent, warnFreePercent, minFreeBytes, warnFreeBytes } =
      this.thresholds(settings);
    // A warning that can only come after the failure would never be seen.
    if (warnFreePercent !== undefined && warnFreePercent <= (minFreePercent ?? -1)) {
      throw bad('warnFreePercent', warnFreePercent, `above minFreePercent (${minFreePercent})`);
    }
    if (warnFreeBytes !== undefined && warnFreeBytes <= (minFreeBytes ?? -1)) {
      throw bad('warnFreeBytes', warnFreeBytes, `above minFreeBytes (${minFreeBytes})`);
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const path = this.settings.path ?? '/';
    const stats = await this.statfsCall.join(() => statfs(path), signal);
    const totalBytes = stats.blocks * stats.bsize;
    const freeBytes = stats.bavail * stats.bsize;
    const freePercent = stats.blocks > 0 ? round((stats.bavail / stats.blocks) * 100) : 0;
    const result: CheckResult = {
      observedValue: freeBytes,
      observedUnit: 'bytes',
      details: { path, totalBytes, freeBytes, freePercent },
    };
    const t = this.thresholds(this.settings);
    // A result rather than a throw: the report keeps the free bytes a failure is about.
    const below = (status: 'warn' | 'fail', threshold: string): CheckResult => ({
      ...result,
      status,
      output: `only ${formatBytes(freeBytes)} free on ${path} (${freePercent}%), below ${threshold}`,
    });
    if (t.minFreeBytes !== undefined && freeBytes < t.minFreeBytes) {
      return below('fail', `minFreeBytes ${formatBytes(t.minFreeBytes)}`);
    }
    if (t.minFreePercent !== undefined && freePercent < t.minFreePercent) {
      return below('fail', `minFreePercent ${t.minFreePercent}`);
    }
    if (t.warnFreeBytes !== undefined && freeBytes < t.warnFreeBytes) {
      return below('warn', `warnFreeBytes ${formatBytes(t.warnFreeBytes)}`);
    }
    if (t.warnFreePercent !== undefined && freePercent < t.warnFreePercent) {
      return below('warn', `warnFreePercent ${t.warnFreePercent}`);
    }
    return result;
  }

  private thresholds(settings: DiskIndicatorSettings): DiskIndicatorSettings {
    const none = settings.minFreeBytes === undefined && settings.minFreePercent === undefined;
    return none ? { ...settings, minFreePercent: 5 } : settings;
  }
}
