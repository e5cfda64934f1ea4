import { readFile } from 'node:fs/promises';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';
import { formatBytes } from './support/format-bytes.js';

/** Settings of `MemoryHealthIndicator`. Every threshold that is set must hold. */
export interface MemoryIndicatorSettings {
  /** Fails when the V8 heap in use exceeds this many bytes. Default: none. */
  maxHeapUsedBytes?: number;
  /** Fails when the resident set size exceeds this many bytes. Default: none. */
  maxRssBytes?: number;
  /**
   * Fails when the resident set size exceeds this percentage of the memory limit (the container's,
   * where the OOM killer acts). Ignored, and said so in `details`, when there is no limit.
   * Default 90; 100 turns it off.
   */
  maxRssPercent?: number;
  /**
   * The memory limit in bytes, instead of finding it (`null`: none). Default: found at each check,
   * from `process.constrainedMemory()`, else cgroup v2 `memory.max`, else cgroup v1
   * `memory.limit_in_bytes`.
   */
  limitBytes?: number | null;
}

/** Above this a "limit" is the kernel's way of saying there is none (cgroup v1, libuv). */
const UNLIMITED = 2 ** 60;
const CGROUP_FILES = [
  '/sys/fs/cgroup/memory.max',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
] as const;

const real = (bytes: number | undefined): bytes is number =>
  typeof bytes === 'number' && bytes > 0 && bytes < UNLIMITED;

/** The container's memory limit, read at each check: in-place pod resizing can change it. */
async function findLimit(): Promise<number | null> {
  // Without a limit it answers 0 or 2^64, depending on the Node and libuv versions.
  const constrained = process.constrainedMemory();
  if (real(constrained)) return constrained;
  for (const file of CGROUP_FILES) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const bytes = Number(text.trim()); // 'max' (cgroup v2, no limit) gives NaN
    return real(bytes) ? bytes : null;
  }
  return null;
}

/** Memory of this process, against fixed limits and against the container's limit. */
export class MemoryHealthIndicator extends BuiltInIndicator<MemoryIndicatorSettings> {
  static override readonly defaults = {
    name: 'memory',
    componentType: 'system',
    measurement: 'rss',
  };
  static override readonly settingKeys = settingKeysOf<MemoryIndicatorSettings>(
    'maxHeapUsedBytes',
    'maxRssBytes',
    'maxRssPercent',
    'limitBytes',
  );

  protected override validate(settings: MemoryIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    for (const key of ['maxHeapUsedBytes', 'maxRssBytes'] as const) {
      const value = settings[key];
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw bad(key, value, 'an integer number of bytes above 0');
      }
    }
    const { maxRssPercent: percent, limitBytes: limit } = settings;
    if (percent !== undefined && !(typeof percent === 'number' && percent > 0 && percent <= 100)) {
      throw bad('maxRssPercent', percent, 'a percentage above 0, up to 100');
    }
    if (limit !== undefined && limit !== null && !(Number.isSafeInteger(limit) && limit > 0)) {
      throw bad('limitBytes', limit, 'an integer number of bytes above 0, or null (no limit)');
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const { maxHeapUsedBytes, maxRssBytes, maxRssPercent = 90 } = this.settings;
    const limitBytes =
      this.settings.limitBytes === undefined ? await findLimit() : this.settings.limitBytes;
    signal.throwIfAborted();
    const { heapUsed, heapTotal, rss } = process.memoryUsage();
    const rssPercent = limitBytes === null ? null : Math.round((rss / limitBytes) * 10000) / 100;
    const details: Record<string, unknown> = {
      heapUsedBytes: heapUsed,
      heapTotalBytes: heapTotal,
      rssBytes: rss,
      limitBytes,
      rssPercent,
    };
    if (limitBytes === null) details.note = 'no memory limit found: maxRssPercent not applied';

    const problems: string[] = [];
    if (maxRssBytes !== undefined && rss > maxRssBytes) {
      problems.push(`rss ${formatBytes(rss)}, above maxRssBytes ${formatBytes(maxRssBytes)}`);
    }
    if (rssPercent !== null && limitBytes !== null && rssPercent > maxRssPercent) {
      problems.push(
        `rss ${formatBytes(rss)} is ${rssPercent}% of the ${formatBytes(limitBytes)} limit, above maxRssPercent ${maxRssPercent}`,
      );
    }
    if (maxHeapUsedBytes !== undefined && heapUsed > maxHeapUsedBytes) {
      problems.push(
        `heap used ${formatBytes(heapUsed)}, above maxHeapUsedBytes ${formatBytes(maxHeapUsedBytes)}`,
      );
    }
    const result: CheckResult = { observedValue: rss, observedUnit: 'bytes', details };
    // A result rather than a throw: the report keeps the figures a failure is about.
    return problems.length > 0
      ? { ...result, status: 'fail', output: problems.join('; ') }
      : result;
  }
}
