import type { CheckOutcome } from './check-outcome.js';
import { firstStaleAt, freshOutcomes, stallOutput } from './freshness.js';
import { buildCheckReport, buildReport } from './health-report.builder.js';
import { DIAGNOSTICS_COMPONENT } from './health.constants.js';
import { canFail, type ProbeDefinition } from './probe.definitions.js';
import {
  failingResult,
  probeResult,
  type ProbeResult,
  type ReportIdentity,
} from './probe-result.js';
import { selectChecks } from './probe.reading.js';
import { latestOf } from './status.view.js';
import type { CheckReport } from '../interfaces/health-check.interface.js';

/** @internal What a transport that only serves published results knows of a probe. */
export type PublishedProbe = Pick<
  ProbeDefinition,
  | 'name'
  | 'access'
  | 'answersPerCheck'
  | 'runsChecks'
  | 'diagnostics'
  | 'gates'
  | 'latches'
  | 'aliases'
>;

/** @internal What the worker is told of a probe: its definition less what only the main thread uses. */
export function publishedProbe(definition: ProbeDefinition): PublishedProbe {
  const { name, access, answersPerCheck, runsChecks, diagnostics, gates, latches, aliases } =
    definition;
  return { name, access, answersPerCheck, runsChecks, diagnostics, gates, latches, aliases };
}

/** @internal Which checks each probe selects, and how old a background result may get. */
export interface PublishedChecks {
  readonly selections: Readonly<Record<string, readonly string[]>>;
  readonly staleAfterMs: Readonly<Record<string, number>>;
}

/** @internal What is judged when a probe is read, besides its published result. */
export interface ReadConditions {
  readonly now: number;
  /** How long the main event loop has not turned, in ms. */
  readonly stalledMs: number;
  /** Why an application listener that was listening does not accept connections now. */
  readonly listenerDown?: string;
}

/**
 * @internal The probes as the main thread last published them, read at a given moment: what the
 * probe server serves. The main thread evaluated every gate and check; what is judged here is what
 * only the moment of reading knows (a stuck event loop, results grown stale, a listener found
 * down), by the core's own rules, so that the probe server says what the app's port would. Pure.
 */
export class PublishedProbes {
  private readonly results = new Map<string, ProbeResult>();
  /** When each published result would have an outcome turn stale (`Infinity`: never). */
  private readonly staleAt = new Map<string, number>();
  /** The latest outcome of each check, whichever probe published it. */
  private readonly latest = new Map<string, CheckOutcome>();
  private checks: PublishedChecks = { selections: {}, staleAfterMs: {} };
  private shuttingDown = false;
  /** The answer of a probe that cannot fail (`live`) while the loop turns: one object, reused. */
  private readonly alive: ProbeResult;

  constructor(
    private readonly identity: ReportIdentity,
    private readonly maxStallMs: number,
  ) {
    this.alive = probeResult('live', Object.freeze({ status: 'pass' as const, ...identity }));
  }

  /** A probe's new result. */
  publish(result: ProbeResult): void {
    this.results.set(result.probe, result);
    this.staleAt.set(result.probe, firstStaleAt(result.outcomes ?? [], this.checks.staleAfterMs));
    for (const outcome of result.outcomes ?? []) {
      const known = this.latest.get(outcome.check);
      if (!known || known.observedAt <= outcome.observedAt) this.latest.set(outcome.check, outcome);
    }
  }

  /** The checks each probe selects, known once the application has bootstrapped. */
  select(checks: PublishedChecks): void {
    this.checks = checks;
    for (const result of this.results.values()) {
      this.staleAt.set(result.probe, firstStaleAt(result.outcomes ?? [], checks.staleAfterMs));
    }
  }

  /** A shutdown has begun: a listener closed from now on is the drain, not a fault. */
  shutdownBegan(): void {
    this.shuttingDown = true;
  }

  /**
   * What a probe says now: during a stall, a failure saying so; a listener found down fails the
   * probes it gates; before anything was published, `starting`; else the published result, its
   * stale outcomes failed and the reading's exclusions left out.
   */
  result(probe: PublishedProbe, exclude: readonly string[], at: ReadConditions): ProbeResult {
    const stalled = this.stalled(probe, at);
    if (stalled) return stalled;
    if (!canFail(probe)) return this.alive;
    if (at.listenerDown !== undefined && !this.shuttingDown && probe.gates.includes('listening')) {
      return failingResult(probe.name, this.identity, at.listenerDown);
    }
    const published = this.results.get(probe.name);
    if (!published) return failingResult(probe.name, this.identity, 'starting');
    if (!published.outcomes) return published;
    // A start-up that has passed passes for good: its outcomes are what it passed with, kept.
    const latched = probe.latches && published.status !== 'fail';
    const fresh = latched || at.now <= this.staleAt.get(probe.name)!;
    if (exclude.length === 0 && fresh) return published;
    const outcomes = latched
      ? published.outcomes
      : freshOutcomes(published.outcomes, this.checks.staleAfterMs, at.now);
    if (outcomes === published.outcomes && exclude.length === 0) return published;
    return this.rebuilt(probe, published, outcomes, exclude);
  }

  /** One check of a probe, as its own status says; `undefined` when the probe has no such check. */
  checkResult(probe: PublishedProbe, name: string, at: ReadConditions): ProbeResult | undefined {
    const selected = this.checks.selections[probe.name]?.includes(name);
    const outcome = selected ? this.latest.get(name) : undefined;
    if (!outcome) return undefined;
    const [checked] = freshOutcomes([outcome], this.checks.staleAfterMs, at.now);
    const report = buildCheckReport(this.identity, checked);
    return this.stalled(probe, at) ?? probeResult(probe.name, report, [checked]);
  }

  /**
   * What the status page shows of the checks: the latest outcome of each, as it stands at `now`
   * (stale ones failed), and the process diagnostics last published.
   */
  newest(now: number): ReturnType<typeof latestOf> {
    const { outcomes, diagnostics } = latestOf(this.results.values());
    return { outcomes: [...freshOutcomes(outcomes, this.checks.staleAfterMs, now)], diagnostics };
  }

  private stalled(probe: PublishedProbe, at: ReadConditions): ProbeResult | undefined {
    const output = stallOutput(at.stalledMs, this.maxStallMs);
    return output === undefined ? undefined : failingResult(probe.name, this.identity, output);
  }

  /** The report again, from the outcomes: some excluded, or some stale. */
  private rebuilt(
    probe: PublishedProbe,
    published: ProbeResult,
    outcomes: readonly CheckOutcome[],
    exclude: readonly string[],
  ): ProbeResult {
    const names = outcomes.map((outcome) => outcome.check);
    const selection = selectChecks(names, probe.diagnostics, exclude);
    const kept = new Set(selection.kept);
    const diagnostics: Record<string, CheckReport[]> = {};
    if (selection.diagnostics) {
      for (const [key, entries] of Object.entries(published.report.checks ?? {})) {
        if (key.startsWith(`${DIAGNOSTICS_COMPONENT}:`)) diagnostics[key] = entries;
      }
    }
    const report = buildReport(
      this.identity,
      outcomes.filter((outcome) => kept.has(outcome.check)),
      { diagnostics, notes: selection.notes },
    );
    return probeResult(probe.name, report);
  }
}
