import { AbandonedCalls } from './abandoned-calls.js';
import type { MaybePromise } from './maybe-promise.js';
import { staleAfterMs, staleOutcome, type CheckOutcome } from './check-outcome.js';
import { callCheck, type Settled } from './check.call.js';
import { damped, toOutcome } from './outcome.builder.js';
import { messages } from './health.messages.js';
import { FirstPass } from './first-pass.js';
import type { ResolvedIndicatorOptions } from './indicator-options.js';
import type { HealthCheck } from '../interfaces/health-check.interface.js';
import type { Redactor } from './redactor.js';

export type { CheckOutcome } from './check-outcome.js';

/** @internal When an outcome is asked for, and whether a cached failure will do. */
export interface OutcomeRequest {
  /** Default: now. */
  now?: number;
  /** Ignore a cached failure: start-up should not wait out a TTL, nor a background interval. */
  retryFailure?: boolean;
}

/** @internal Told of every run, with the outcome it replaces (status changes, metrics). */
export interface RunObserver {
  ran(check: string, outcome: CheckOutcome, previous: CheckOutcome | undefined): void;
}

/**
 * @internal Runs one indicator: under its timeout, at most once at a time (concurrent callers
 * share the run in flight), and reuses the outcome for `cacheTtlMs`; or, with
 * `refreshIntervalMs`, on a schedule of its own, probes reading the latest result. A failure of a
 * check that has not passed yet since boot is run again sooner (`FirstPass`).
 */
export class IndicatorRunner {
  readonly key: string;
  private latest?: CheckOutcome;
  /** Until when the latest outcome is reused, rather than run again when asked for. */
  private expiresAt = 0;
  private readonly firstPass = new FirstPass();
  private inflight?: Promise<CheckOutcome>;
  /** Calls that timed out and have not settled yet. */
  private readonly abandoned: AbandonedCalls;
  private consecutiveFailures = 0;
  private schedule?: NodeJS.Timeout;
  private refreshing = false;
  /** A run has begun and not yet recorded its outcome. */
  private running = false;
  /** Set while check() is being called: whatever asks this runner meanwhile is check() itself. */
  private calling = false;
  /** The run in flight has had its own check() ask for its outcome. */
  private calledItself = false;

  constructor(
    readonly options: ResolvedIndicatorOptions,
    private readonly indicator: HealthCheck,
    private readonly redactor: Redactor,
    private readonly observer?: RunObserver,
  ) {
    this.key = `${options.name}:${options.measurement}`;
    this.abandoned = new AbandonedCalls(options.timeoutMs);
  }

  /** Starts the background runs, when the indicator has a `refreshIntervalMs`. */
  start(): void {
    if (this.options.refreshIntervalMs === undefined || this.refreshing) return;
    this.refreshing = true;
    void this.refresh().catch(() => undefined);
  }

  /** Stops the background runs (at shutdown). */
  stop(): void {
    this.refreshing = false;
    clearTimeout(this.schedule);
  }

  /** One background run, then the next, after the interval with ±10 % jitter: never overlapping. */
  private async refresh(): Promise<void> {
    await this.shared();
    if (!this.refreshing) return;
    const interval = this.options.refreshIntervalMs!;
    const jittered = interval * (0.9 + Math.random() * 0.2);
    this.schedule = setTimeout(() => void this.refresh().catch(() => undefined), jittered);
    this.schedule.unref();
  }

  get name(): string {
    return this.options.name;
  }

  /** The latest outcome (stale when its background schedule has stalled), running nothing. */
  peek(now = Date.now()): CheckOutcome | undefined {
    const latest = this.latest;
    if (latest === undefined || !this.refreshing) return latest;
    return this.stale(latest, now) ?? latest;
  }

  /**
   * When a watcher should look again: as the cached result expires (a check cached for no time:
   * `uncachedIntervalMs` after its last run), or, on a background schedule, when the latest result
   * would turn stale, or a failure of it is to be run again. Runs are announced as they end
   * (`RunObserver`): one in flight sets no time.
   */
  dueAt(now: number, uncachedIntervalMs: number): number {
    const latest = this.latest;
    // A run in flight announces itself when it ends.
    if (this.running) return Infinity;
    if (latest === undefined) return now;
    if (this.refreshing) {
      return Math.min(latest.observedAt + this.staleAfterMs() + 1, Math.max(this.expiresAt, now));
    }
    const due =
      this.options.cacheTtlMs > 0
        ? this.expiresAt
        : latest.observedAt + this.reuseFor(latest, uncachedIntervalMs);
    return Math.max(due, now);
  }

  /**
   * The cached outcome while it is fresh (synchronously), else the run in flight or a new one. A
   * background result is read until the next run replaces it, unless it is a failure to run again
   * (`FirstPass`). `retryFailure` ignores a cached failure: start-up should not wait out a TTL, nor
   * a background interval, to latch.
   */
  outcome({
    now = Date.now(),
    retryFailure = false,
  }: OutcomeRequest = {}): MaybePromise<CheckOutcome> {
    // check() reading a probe that includes it: running it again would recurse without end.
    if (this.calling) return this.selfCall();
    const latest = this.latest;
    if (latest === undefined) return this.shared();
    const expired = now >= this.expiresAt || (retryFailure && latest.failed);
    if (expired) return this.shared();
    return this.refreshing ? (this.stale(latest, now) ?? latest) : latest;
  }

  /**
   * A failure it has at hand is run again when next asked for: it was observed while the
   * application was starting, and start-up has just completed.
   */
  expireFailure(): void {
    if (this.latest?.failed) this.expiresAt = 0;
  }

  /** The run in flight, or a new one: concurrent callers share it. */
  private shared(): Promise<CheckOutcome> {
    // Cleared once settled, from outside run(): a run that settles synchronously must not clear
    // it before it is even assigned.
    return (this.inflight ??= this.run().finally(() => (this.inflight = undefined)));
  }

  private async run(): Promise<CheckOutcome> {
    this.running = true;
    this.calledItself = false;
    const started = performance.now();
    const waiting = this.abandoned.wait(Date.now());
    let settled: Settled =
      waiting !== undefined
        ? { waiting }
        : await callCheck(
            (signal) => this.indicator.check(signal),
            this.options.timeoutMs,
            this.abandoned,
            (calling) => (this.calling = calling),
          );
    if (this.calledItself) settled = { error: messages.checkReadsItself(this.name) };
    const durationMs = performance.now() - started;
    let outcome: CheckOutcome;
    try {
      outcome = this.outcomeOf(settled, durationMs);
    } catch {
      outcome = this.outcomeOf({ error: 'the result could not be processed' }, durationMs);
    }
    outcome = this.damped(outcome);
    const previous = this.latest;
    this.latest = outcome;
    this.firstPass.record(outcome);
    this.expiresAt = outcome.observedAt + this.reuseFor(outcome);
    this.running = false;
    try {
      this.observer?.ran(this.name, outcome, previous);
    } catch {
      // A logger or subscriber of the application that throws must not cost the result.
    }
    return outcome;
  }

  /**
   * How long an outcome is reused: `usualMs` (`cacheTtlMs`), or, on a background schedule, until
   * the next run; a failure of a check that has not passed yet, less (`FirstPass`).
   */
  private reuseFor(outcome: CheckOutcome, usualMs = this.options.cacheTtlMs): number {
    const interval = this.options.refreshIntervalMs;
    if (interval === undefined) return this.firstPass.reuseFor(outcome, usualMs);
    return outcome.failed && !this.firstPass.done
      ? this.firstPass.reuseFor(outcome, interval)
      : Infinity;
  }

  /** What check() gets when it asks for its own outcome: a failure, which fails its run too. */
  private selfCall(): CheckOutcome {
    this.calledItself = true;
    return this.outcomeOf({ error: messages.checkReadsItself(this.name) }, 0);
  }

  /** Below `failureThreshold` consecutive failures, a failure reports `warn`. */
  private damped(outcome: CheckOutcome): CheckOutcome {
    this.consecutiveFailures = outcome.status === 'fail' ? this.consecutiveFailures + 1 : 0;
    return damped(outcome, this.consecutiveFailures, this.options.failureThreshold);
  }

  private outcomeOf(settled: Settled, durationMs: number): CheckOutcome {
    return toOutcome(settled, durationMs, this.options, this.redactor, this.abandoned);
  }

  /** How old a background result may be before it counts as failed. */
  staleAfterMs(): number {
    return staleAfterMs(this.options.refreshIntervalMs!, this.options.timeoutMs);
  }

  private stale(latest: CheckOutcome, now: number): CheckOutcome | undefined {
    return staleOutcome(latest, this.staleAfterMs(), now);
  }
}
