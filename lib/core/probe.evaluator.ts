import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import type { ResolvedHealthOptions } from './resolved-options.js';
import { buildCheckReport, buildReport, failedReport } from './health-report.builder.js';
import { IndicatorRegistry } from './indicator.registry.js';
import type { CheckOutcome, IndicatorRunner, OutcomeRequest } from './indicator.runner.js';
import { all, andThen, type MaybePromise } from './maybe-promise.js';
import type { ProbeDefinition } from './probe.definitions.js';
import { ProcessDiagnostics } from './process.diagnostics.js';
import { probeResult, type ProbeResult } from './probe-result.js';
import { selectChecks } from './probe.reading.js';
import { ReadinessState } from './readiness.state.js';

/** Where outcomes come from: a run (or the cache), or only what is at hand (`undefined` if none). */
type Source = (
  runner: IndicatorRunner,
  request: Pick<OutcomeRequest, 'retryFailure'>,
) => MaybePromise<CheckOutcome> | undefined;

/** No gate decides: the checks do. */
const OPEN = Symbol('open');
type Gated = ProbeResult | undefined | typeof OPEN;

interface Memo {
  outcomes: readonly CheckOutcome[];
  result: ProbeResult;
}

const result = probeResult;

/**
 * @internal Turns a probe's definition into its result: its gates first, then the checks it
 * selects (a check a reading excludes is never run), run or reused, aggregated once.
 * Transport-neutral: the HTTP routes, the probe server and gRPC all read it.
 */
@Injectable()
export class ProbeEvaluator {
  private readonly memo = new Map<string, Memo>();
  /** Checks of the latching probe that have passed once: not run again. */
  private readonly passed = new Map<string, CheckOutcome>();
  private latch?: ProbeResult;
  /** The outcomes the latching probe passed with. */
  private latchedWith: readonly CheckOutcome[] = [];

  constructor(
    private readonly registry: IndicatorRegistry,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly diagnostics: ProcessDiagnostics,
    private readonly state: ReadinessState,
  ) {}

  /** Whether start-up has completed: the latching probe has passed. */
  get started(): boolean {
    return this.latch !== undefined;
  }

  /** A probe's result; `exclude` leaves checks out (unknown names noted in the report). */
  evaluate(definition: ProbeDefinition, exclude?: readonly string[]): MaybePromise<ProbeResult> {
    const now = Date.now();
    const run: Source = (runner, { retryFailure }) => runner.outcome({ now, retryFailure });
    return this.resolve(definition, exclude, run) as MaybePromise<ProbeResult>;
  }

  /**
   * The result from what is at hand, running nothing; `undefined` while a check has no result.
   * `diagnostics: false` leaves the deep probe's process diagnostics out, unread (they never
   * decide a status, and each reading starts their next measuring interval).
   */
  peek(definition: ProbeDefinition, { diagnostics = true } = {}): ProbeResult | undefined {
    const now = Date.now();
    return this.resolve(definition, undefined, (runner) => runner.peek(now), diagnostics) as
      ProbeResult | undefined;
  }

  /** One check of a probe: its own status decides, critical or not. `undefined`: not one of them. */
  evaluateCheck(definition: ProbeDefinition, name: string): MaybePromise<ProbeResult> | undefined {
    const runner = this.registry.runnersOf(definition).find((r) => r.name === name);
    if (runner === undefined) return undefined;
    return andThen(runner.outcome(), (outcome) =>
      result(definition.name, buildCheckReport(this.options.identity, outcome), [outcome]),
    );
  }

  /**
   * The checks whose next result can change a probe now: none while a gate decides (a shutdown, a
   * latched start-up, an HTTP server that does not listen), the start-up checks while it waits on
   * them, else its own.
   */
  deciding(definition: ProbeDefinition): readonly IndicatorRunner[] {
    if (definition.latches) return this.started ? [] : this.registry.runnersOf(definition);
    const { gates } = definition;
    if (gates.includes('shutdown') && this.state.override !== undefined) return [];
    if (gates.includes('bootstrap') && !this.state.bootstrapped) return [];
    const startup = this.registry.probes.find((probe) => probe.latches);
    if (gates.includes('startup') && !this.started && startup) return this.deciding(startup);
    if (gates.includes('listening') && this.state.notListening !== undefined) return [];
    return this.registry.runnersOf(definition);
  }

  private resolve(
    definition: ProbeDefinition,
    exclude: readonly string[] | undefined,
    source: Source,
    withDiagnostics = true,
  ): MaybePromise<ProbeResult | undefined> {
    const selected = this.select(definition, exclude);
    const { runners, notes, partial } = selected;
    const diagnostics = selected.diagnostics && withDiagnostics;
    if (definition.latches) return this.startup(definition, runners, notes, partial, source);
    return andThen(this.gates(definition, source), (gated) =>
      gated === OPEN
        ? this.fromChecks(definition, runners, notes, diagnostics, partial, source)
        : gated,
    );
  }

  /** Its checks' result, reused while every outcome is the same (cached) one. */
  private fromChecks(
    definition: ProbeDefinition,
    runners: readonly IndicatorRunner[],
    notes: string[] | undefined,
    diagnostics: boolean,
    partial: boolean,
    source: Source,
  ): MaybePromise<ProbeResult | undefined> {
    const outcomes = this.outcomes(runners, source, { latching: false });
    if (outcomes === undefined) return undefined;
    return andThen(outcomes, (settled) => {
      const memo = this.memo.get(definition.name);
      const reusable = !partial && !diagnostics;
      if (reusable && memo && memo.outcomes.every((outcome, i) => outcome === settled[i])) {
        return memo.result;
      }
      const extras = {
        notes,
        diagnostics: diagnostics ? this.diagnostics.read() : undefined,
        checks: definition.runsChecks,
      };
      const report = buildReport(this.options.identity, settled, extras);
      const fresh = result(definition.name, report, settled);
      if (reusable) this.memo.set(definition.name, { outcomes: settled, result: fresh });
      return fresh;
    });
  }

  /** What decides before the checks, gate by gate; `OPEN` when none does. */
  private gates(definition: ProbeDefinition, source: Source, from = 0): MaybePromise<Gated> {
    const { identity } = this.options;
    const failed = (output: string) =>
      result(definition.name, Object.freeze({ status: 'fail' as const, ...identity, output }));
    for (let i = from; i < definition.gates.length; i++) {
      const gate = definition.gates[i];
      const override = this.state.override;
      if (gate === 'shutdown' && override !== undefined) return failed(override);
      if (gate === 'bootstrap' && !this.state.bootstrapped) return failed('bootstrapping');
      const notListening = this.state.notListening;
      if (gate === 'listening' && notListening !== undefined) return failed(notListening);
      const startup = this.registry.probes.find((probe) => probe.latches);
      if (gate !== 'startup' || this.started || startup === undefined) continue;
      // Not started: the start-up checks show what it is waiting for, unless they just passed.
      return andThen(this.resolve(startup, undefined, source), (waiting) => {
        if (waiting === undefined) return undefined;
        if (!this.started) return result(definition.name, failedReport(waiting.report, 'starting'));
        return this.gates(definition, source, i + 1);
      });
    }
    return OPEN;
  }

  /** The latching probe: start-up checks that passed once are not run again. */
  private startup(
    definition: ProbeDefinition,
    runners: readonly IndicatorRunner[],
    notes: string[] | undefined,
    partial: boolean,
    source: Source,
  ): MaybePromise<ProbeResult | undefined> {
    if (this.latch && !partial) return this.latch;
    if (this.latch) {
      const kept = new Set(runners.map((runner) => runner.name));
      const outcomes = this.latchedWith.filter((outcome) => kept.has(outcome.check));
      return result(
        definition.name,
        buildReport(this.options.identity, outcomes, { notes }),
        outcomes,
      );
    }
    const outcomes = this.outcomes(runners, source, { latching: true });
    if (outcomes === undefined) return undefined;
    return andThen(outcomes, (settled) => {
      // Each run is judged as it is: a failure that failureThreshold reports as `warn` has not
      // passed, and a critical one holds start-up back.
      let held = false;
      for (const outcome of settled) {
        if (!outcome.failed) this.passed.set(outcome.check, outcome);
        else if (outcome.critical) held = true;
      }
      const report = buildReport(this.options.identity, settled, { notes });
      if (!this.state.bootstrapped)
        return result(definition.name, failedReport(report, 'bootstrapping'));
      // Not started: the kubelet must not see a success and move on to liveness.
      if (held) return result(definition.name, failedReport(report, report.output ?? 'starting'));
      const done = result(definition.name, report, settled);
      if (report.status !== 'fail' && !partial) {
        this.latch = done;
        this.latchedWith = settled;
        this.expireStartingFailures();
        this.state.started = true;
      }
      return done;
    });
  }

  /**
   * What the checks of the probes start-up holds back failed with while the app was starting is
   * not reused now that it has started: `ready` passes as soon as `startup` does, when they pass.
   */
  private expireStartingFailures(): void {
    for (const definition of this.registry.probes) {
      if (!definition.gates.includes('startup')) continue;
      for (const runner of this.registry.runnersOf(definition)) runner.expireFailure();
    }
  }

  /** The outcomes of `runners` from `source`; `undefined` when one has none at hand. */
  private outcomes(
    runners: readonly IndicatorRunner[],
    source: Source,
    { latching }: { latching: boolean },
  ): MaybePromise<CheckOutcome[]> | undefined {
    const pending: MaybePromise<CheckOutcome>[] = [];
    for (const runner of runners) {
      const outcome =
        (latching ? this.passed.get(runner.name) : undefined) ??
        source(runner, { retryFailure: latching });
      if (outcome === undefined) return undefined;
      pending.push(outcome);
    }
    return all(pending);
  }

  /** The checks a reading runs: the probe's, less those it excludes, whose unknown names are noted. */
  private select(definition: ProbeDefinition, exclude: readonly string[] | undefined) {
    const runners = this.registry.runnersOf(definition);
    const names = runners.map((runner) => runner.name);
    const selection = selectChecks(names, definition.diagnostics, exclude);
    const kept = new Set(selection.kept);
    return {
      runners: selection.partial ? runners.filter((runner) => kept.has(runner.name)) : runners,
      diagnostics: selection.diagnostics,
      notes: selection.notes ? [...selection.notes] : undefined,
      partial: selection.partial,
    };
  }
}
