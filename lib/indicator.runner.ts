import { errorMessage, fromResolvedValue } from './check-result.normalizer.js';
import type { ResolvedIndicatorOptions } from './health.options.js';
import type {
  CheckReport,
  HealthCheck,
  HealthStatus,
} from './interfaces/health-check.interface.js';
import type { Redactor } from './redactor.js';

/** @internal One finished run of an indicator: immutable, shared by every probe that reads it. */
export interface CheckOutcome {
  readonly status: HealthStatus;
  /** The entry served under `checks["<name>:<measurement>"]`. */
  readonly report: CheckReport;
  /** When the run finished (ms since the epoch). */
  readonly observedAt: number;
  readonly durationMs: number;
}

type Settled = { value: unknown } | { error: unknown } | { timedOut: true };

/**
 * @internal Runs one indicator: under its timeout, at most once at a time (concurrent callers
 * share the run in flight), and reuses the outcome for `cacheTtlMs`.
 */
export class IndicatorRunner {
  readonly key: string;
  private latest?: CheckOutcome;
  private expiresAt = 0;
  private inflight?: Promise<CheckOutcome>;

  constructor(
    readonly options: ResolvedIndicatorOptions,
    private readonly indicator: HealthCheck,
    private readonly redactor: Redactor,
  ) {
    this.key = `${options.name}:${options.measurement}`;
  }

  get name(): string {
    return this.options.name;
  }

  /**
   * The cached outcome while it is fresh (synchronously), else the run in flight or a new one.
   * `retryFailure` ignores a cached failure: start-up should not wait out a TTL to latch.
   */
  outcome(now = Date.now(), retryFailure = false): CheckOutcome | Promise<CheckOutcome> {
    const latest = this.latest;
    if (
      latest !== undefined &&
      now < this.expiresAt &&
      !(retryFailure && latest.status === 'fail')
    ) {
      return latest;
    }
    return (this.inflight ??= this.run());
  }

  private async run(): Promise<CheckOutcome> {
    const started = performance.now();
    const settled = await this.settle();
    const durationMs = performance.now() - started;
    const outcome = this.toOutcome(settled, durationMs);
    this.latest = outcome;
    this.expiresAt = outcome.observedAt + this.options.cacheTtlMs;
    this.inflight = undefined;
    return outcome;
  }

  /** Calls check() and resolves with whatever happens first: a value, an error or the timeout. */
  private settle(): Promise<Settled> {
    const { timeoutMs } = this.options;
    const controller = new AbortController();
    return new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => {
        controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
        resolve({ timedOut: true });
      }, timeoutMs);
      timer.unref();
      const done = (result: Settled) => {
        clearTimeout(timer);
        resolve(result);
      };
      try {
        Promise.resolve(this.indicator.check(controller.signal)).then(
          (value) => done({ value }),
          (error: unknown) => done({ error }),
        );
      } catch (error) {
        done({ error });
      }
    });
  }

  private toOutcome(settled: Settled, durationMs: number): CheckOutcome {
    const result =
      'value' in settled
        ? fromResolvedValue(settled.value)
        : 'error' in settled
          ? { status: 'fail' as const, output: errorMessage(settled.error) }
          : { status: 'fail' as const, output: `timed out after ${this.options.timeoutMs} ms` };
    const observedAt = Date.now();
    const report: CheckReport = {
      componentId: this.options.name,
      componentType: result.componentType ?? this.options.componentType,
      status: result.status,
      observedValue: result.observedValue ?? Math.round(durationMs * 100) / 100,
      observedUnit: result.observedValue === undefined ? 'ms' : result.observedUnit,
      time: new Date(observedAt).toISOString(),
    };
    if (report.observedUnit === undefined) delete report.observedUnit;
    if (result.output !== undefined && result.status !== 'pass') {
      report.output = this.redactor.output(result.output);
    }
    if (result.details !== undefined) report.details = this.redactor.details(result.details);
    return { status: result.status, report: Object.freeze(report), observedAt, durationMs };
  }
}
