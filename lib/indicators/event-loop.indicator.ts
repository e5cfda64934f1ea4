import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';

/** Settings of `EventLoopHealthIndicator`. */
export interface EventLoopIndicatorSettings {
  /** Fails when the 99th percentile of the event-loop delay exceeds this (ms). Default 200. */
  maxP99Ms?: number;
  /** Warns (status `warn`) when the p99 exceeds this (ms); below `maxP99Ms`. Default: none. */
  warnP99Ms?: number;
}

/** The sampling period: fine enough to see a 100 ms stall, cheap enough to leave on. */
const RESOLUTION_MS = 10;
/** The histogram records whole intervals between samples; the delay is what exceeds the period. */
const delayMs = (nanoseconds: number) =>
  Math.max(0, Math.round((nanoseconds / 1e6 - RESOLUTION_MS) * 100) / 100);

/**
 * Event-loop delay since the previous check: how long callbacks wait to run, which every request
 * pays. Sampling starts when the indicator is created, the first window when the application has
 * bootstrapped, and sampling stops when the module is destroyed.
 */
export class EventLoopHealthIndicator
  extends BuiltInIndicator<EventLoopIndicatorSettings>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  static override readonly defaults = {
    name: 'event-loop',
    componentType: 'system',
    measurement: 'delayP99',
  };
  static override readonly settingKeys = settingKeysOf<EventLoopIndicatorSettings>(
    'maxP99Ms',
    'warnP99Ms',
  );

  private readonly histogram: IntervalHistogram;
  private since = performance.now();

  constructor(settings: EventLoopIndicatorSettings) {
    // Validated first (by super): a bad setting must not leave a running histogram behind.
    super(settings);
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
  }

  protected override validate(settings: EventLoopIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    const { maxP99Ms = 200, warnP99Ms } = settings;
    if (!(typeof maxP99Ms === 'number' && maxP99Ms > 0 && Number.isFinite(maxP99Ms))) {
      throw bad('maxP99Ms', maxP99Ms, 'a number of milliseconds above 0');
    }
    if (warnP99Ms !== undefined && !(typeof warnP99Ms === 'number' && warnP99Ms > 0)) {
      throw bad('warnP99Ms', warnP99Ms, 'a number of milliseconds above 0');
    }
    if (warnP99Ms !== undefined && warnP99Ms >= maxP99Ms) {
      throw bad('warnP99Ms', warnP99Ms, `below maxP99Ms (${maxP99Ms})`);
    }
  }

  async check(): Promise<CheckResult> {
    const { maxP99Ms = 200, warnP99Ms } = this.settings;
    const { histogram } = this;
    const samples = histogram.count;
    const windowMs = Math.round(performance.now() - this.since);
    const details = {
      p50Ms: samples > 0 ? delayMs(histogram.percentile(50)) : 0,
      p99Ms: samples > 0 ? delayMs(histogram.percentile(99)) : 0,
      maxMs: samples > 0 ? delayMs(histogram.max) : 0,
      samples,
      windowMs,
    };
    // Each check judges only what happened since the previous one: an old stall is not news.
    // (Node drops the interval that follows a reset: a stall starting within 10 ms goes unseen.)
    histogram.reset();
    this.since = performance.now();
    const result: CheckResult = { observedValue: details.p99Ms, observedUnit: 'ms', details };
    const delay = `p99 delay ${details.p99Ms} ms over the last ${windowMs} ms`;
    // A result rather than a throw: the report keeps the delay a failure is about.
    if (details.p99Ms > maxP99Ms) {
      return { ...result, status: 'fail', output: `${delay}, above maxP99Ms ${maxP99Ms}` };
    }
    if (warnP99Ms !== undefined && details.p99Ms > warnP99Ms) {
      return { ...result, status: 'warn', output: `${delay}, above warnP99Ms ${warnP99Ms}` };
    }
    return result;
  }

  /** Start-up blocks the loop (providers, connections) for reasons that are over once it is up. */
  onApplicationBootstrap(): void {
    this.histogram.reset();
    this.since = performance.now();
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }
}
