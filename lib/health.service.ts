import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import { messages } from './health.messages.js';
import type { ResolvedHealthOptions } from './health.options.js';
import { buildReport, toAnswer, withoutChecks, type ProbeAnswer } from './health-report.builder.js';
import type { HealthReport, ProbeName } from './interfaces/health-check.interface.js';
import { IndicatorRegistry } from './indicator.registry.js';
import type { CheckOutcome, IndicatorRunner } from './indicator.runner.js';
import { HealthEvents, type StatusChange } from './health.events.js';
import { ProcessDiagnostics } from './process.diagnostics.js';
import { ReadinessState } from './readiness.state.js';
import { ShutdownCoordinator } from './shutdown.coordinator.js';

type Maybe<T> = T | Promise<T>;

/** Continues synchronously when a value is at hand, so a cached probe never waits for a tick. */
function then<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

function all(values: Maybe<CheckOutcome>[]): Maybe<CheckOutcome[]> {
  return values.some((v) => v instanceof Promise)
    ? Promise.all(values)
    : (values as CheckOutcome[]);
}

interface Memo {
  outcomes: readonly CheckOutcome[];
  answer: ProbeAnswer;
}

/**
 * Runs the probes: each indicator in parallel under its timeout, results cached and shared by
 * concurrent callers, aggregated into the report the routes serve. Inject it anywhere.
 */
@Injectable()
export class HealthService implements OnApplicationBootstrap {
  private bootstrapped = false;
  /** Set once start-up has completed: the startup probe's answer from then on. */
  private startupLatch?: ProbeAnswer;
  /** Startup indicators that have passed once; they are not run again. */
  private readonly startupPassed = new Map<string, CheckOutcome>();
  private readonly memo = new Map<ProbeName, Memo>();
  private readonly liveAnswer: ProbeAnswer;

  /** @internal */
  constructor(
    private readonly registry: IndicatorRegistry,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly diagnostics: ProcessDiagnostics,
    private readonly readiness: ReadinessState,
    private readonly shutdown: ShutdownCoordinator,
    private readonly events: HealthEvents,
  ) {
    this.liveAnswer = toAnswer({ status: 'pass', ...options.identity });
  }

  onApplicationBootstrap(): void {
    this.bootstrapped = true;
    // With no startup indicator there is nothing to wait for: `started` is true from here on.
    if (this.registry.forProbe('startup').length === 0) void this.startup();
  }

  /**
   * Whether start-up has completed: the app has bootstrapped and every startup indicator has
   * passed once (observed by the startup or ready probe; at once when there is none).
   */
  get started(): boolean {
    return this.startupLatch !== undefined;
  }

  /** Every change of a check's status (`{ check, from, to, output, at }`), for alerts and webhooks. */
  get changes$(): Observable<StatusChange> {
    return this.events.changes.asObservable();
  }

  /** Whether a shutdown has begun (a signal, or `beginShutdown()`). */
  get shuttingDown(): boolean {
    return this.readiness.shuttingDown;
  }

  /**
   * Takes the instance out of rotation: readiness fails with `reason` as its output until
   * `markReady()`, whatever the indicators say. Liveness is untouched.
   */
  markNotReady(reason: string): void {
    this.readiness.notReadyReason = reason.trim() || 'not ready';
  }

  /** Puts the instance back into rotation after `markNotReady()`. */
  markReady(): void {
    this.readiness.notReadyReason = undefined;
  }

  /**
   * Begins the graceful shutdown a SIGTERM begins: readiness fails at once, the server keeps
   * serving for `shutdown.delayMs`, then the application closes and the process exits 0.
   */
  beginShutdown(): void {
    this.shutdown.begin();
  }

  /**
   * The report of a probe, exactly as its route serves it; `exclude` leaves checks out of it
   * (as `?exclude=` does), reporting names that match none in `notes`.
   */
  async check(
    probe: ProbeName,
    options: { exclude?: readonly string[] } = {},
  ): Promise<HealthReport> {
    return (await this.answer(probe, options.exclude)).report;
  }

  /** The report of one check of the ready or deep probe; `undefined` when it has no such check. */
  async checkOne(probe: 'ready' | 'deep', name: string): Promise<HealthReport | undefined> {
    return (await this.answerOne(probe, name))?.report;
  }

  /** @internal The report with its status code and body; synchronous when the cache answers. */
  answer(probe: ProbeName, exclude?: readonly string[]): Maybe<ProbeAnswer> {
    return then(this.evaluate(probe), (answer) => {
      this.events.probes.next({ probe, status: answer.report.status });
      if (!exclude?.length) return answer;
      return withoutChecks(
        answer,
        exclude,
        (name) => this.registry.get(name)?.options.critical ?? false,
      );
    });
  }

  /** @internal One check's answer: its own status decides, critical or not. */
  answerOne(probe: 'ready' | 'deep', name: string): Maybe<ProbeAnswer> | undefined {
    const runner = this.registry.forProbe(probe).find((r) => r.name === name);
    if (!runner) return undefined;
    return then(runner.outcome(), (outcome) => {
      const report: HealthReport = { status: outcome.status, ...this.options.identity };
      if (outcome.report.output !== undefined) report.output = outcome.report.output;
      report.checks = { [runner.key]: [outcome.report] };
      return toAnswer(report, true);
    });
  }

  private evaluate(probe: ProbeName): Maybe<ProbeAnswer> {
    switch (probe) {
      case 'live':
        return this.liveAnswer;
      case 'startup':
        return this.startup();
      case 'ready':
        return this.startupLatch || this.readiness.override !== undefined
          ? this.ready()
          : then(this.startup(), (s) => this.ready(s));
      case 'deep':
        return this.deep();
      default:
        return Promise.reject(new Error(messages.unknownProbe(String(probe))));
    }
  }

  /** `startup` is the startup probe's answer, whose checks show what start-up is waiting for. */
  private ready(startup?: ProbeAnswer): Maybe<ProbeAnswer> {
    const override = this.readiness.override;
    if (override !== undefined) {
      return toAnswer({ status: 'fail', ...this.options.identity, output: override });
    }
    if (!this.startupLatch) {
      return toAnswer({ ...startup?.report, status: 'fail', output: 'starting' });
    }
    const runners = this.registry.forProbe('ready');
    return then(this.outcomes(runners), (outcomes) => this.memoized('ready', runners, outcomes));
  }

  private startup(): Maybe<ProbeAnswer> {
    if (this.startupLatch) return this.startupLatch;
    const runners = this.registry.forProbe('startup');
    const now = Date.now();
    const pending = runners.map((r) => this.startupPassed.get(r.name) ?? r.outcome(now, true));
    return then(all(pending), (outcomes) => {
      // Start-up judges each run as it is: a failure that failureThreshold reports as `warn`
      // has not passed, and a critical one holds start-up back.
      let held = false;
      outcomes.forEach((outcome, i) => {
        if (!outcome.failed) this.startupPassed.set(runners[i].name, outcome);
        else if (runners[i].options.critical) held = true;
      });
      const report = buildReport(this.options, runners, outcomes);
      if (!this.bootstrapped) {
        return toAnswer({ ...report, status: 'fail', output: 'bootstrapping' });
      }
      if (held) {
        // Not started: the kubelet must not see a success and move on to liveness.
        return toAnswer({ ...report, status: 'fail', output: report.output ?? 'starting' });
      }
      const answer = toAnswer(report, true);
      if (report.status !== 'fail') this.startupLatch = answer;
      return answer;
    });
  }

  private deep(): Maybe<ProbeAnswer> {
    const runners = this.registry.forProbe('deep');
    return then(this.outcomes(runners), (outcomes) =>
      toAnswer(buildReport(this.options, runners, outcomes, this.diagnostics.read()), true),
    );
  }

  private outcomes(runners: readonly IndicatorRunner[]): Maybe<CheckOutcome[]> {
    const now = Date.now();
    return all(runners.map((runner) => runner.outcome(now)));
  }

  /** Reuses the previous answer while every outcome is the same (cached) one. */
  private memoized(
    probe: ProbeName,
    runners: readonly IndicatorRunner[],
    outcomes: CheckOutcome[],
  ): ProbeAnswer {
    const last = this.memo.get(probe);
    if (last && last.outcomes.every((outcome, i) => outcome === outcomes[i])) return last.answer;
    const answer = toAnswer(buildReport(this.options, runners, outcomes), true);
    this.memo.set(probe, { outcomes, answer });
    return answer;
  }
}
