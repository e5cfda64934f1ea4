import { boundText } from './check-result.normalizer.js';
import { EXCLUDE_LIMITS } from './health.constants.js';
import type { ResolvedHealthOptions } from './health.options.js';
import type {
  CheckReport,
  HealthReport,
  HealthStatus,
} from './interfaces/health-check.interface.js';
import type { CheckOutcome, IndicatorRunner } from './indicator.runner.js';

/** @internal A report with what the HTTP layer needs to serve it, computed once. */
export interface ProbeAnswer {
  readonly report: HealthReport;
  readonly statusCode: 200 | 503;
  /** The serialised report. */
  readonly body: string;
  /** Whether the status was aggregated from the checks (not decided by start-up or shutdown). */
  readonly fromChecks: boolean;
}

/**
 * @internal Any critical check failing fails the probe; otherwise any failing or warning check
 * degrades it to `warn`; otherwise it passes.
 */
export function aggregate(
  runners: readonly IndicatorRunner[],
  outcomes: readonly CheckOutcome[],
): HealthStatus {
  let status: HealthStatus = 'pass';
  for (let i = 0; i < outcomes.length; i++) {
    const checkStatus = outcomes[i].status;
    if (checkStatus === 'pass') continue;
    if (checkStatus === 'fail' && runners[i].options.critical) return 'fail';
    status = 'warn';
  }
  return status;
}

/** @internal One line naming every check that did not pass, for the report's `output`. */
function summarize(runners: readonly IndicatorRunner[], outcomes: readonly CheckOutcome[]) {
  const parts: string[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'pass') return;
    const what = outcome.report.output ?? (outcome.status === 'warn' ? 'degraded' : 'failed');
    parts.push(`${runners[i].name}: ${what}`);
  });
  return boundText(parts.join('; '));
}

/** @internal Builds a probe's health+json report from its indicators' outcomes. */
export function buildReport(
  options: ResolvedHealthOptions,
  runners: readonly IndicatorRunner[],
  outcomes: readonly CheckOutcome[],
  extraChecks?: Record<string, CheckReport[]>,
): HealthReport {
  const status = aggregate(runners, outcomes);
  const checks: Record<string, CheckReport[]> = {};
  outcomes.forEach((outcome, i) => {
    checks[runners[i].key] = Object.freeze([outcome.report]) as CheckReport[];
  });
  Object.assign(checks, extraChecks);
  const report: HealthReport = { status, ...options.identity };
  if (status !== 'pass') report.output = summarize(runners, outcomes);
  report.checks = Object.freeze(checks);
  return report;
}

/** @internal Freezes a report and serialises it once. */
export function toAnswer(report: HealthReport, fromChecks = false): ProbeAnswer {
  Object.freeze(report);
  return Object.freeze({
    report,
    statusCode: report.status === 'fail' ? 503 : 200,
    body: JSON.stringify(report),
    fromChecks,
  });
}

/**
 * @internal A report without the checks named in `exclude` (`?exclude=`): its status is
 * aggregated again from the checks that remain, unless start-up or shutdown decided it; names
 * that match no check are reported in `notes`.
 */
export function withoutChecks(
  answer: ProbeAnswer,
  exclude: readonly string[],
  isCritical: (name: string) => boolean,
): ProbeAnswer {
  const { report } = answer;
  const entries = Object.entries(report.checks ?? {});
  const present = new Set(entries.map(([, [entry]]) => entry.componentId));
  const unknown = exclude.filter((name) => !present.has(name));
  const kept = entries.filter(([, [entry]]) => !exclude.includes(entry.componentId));
  const filtered: HealthReport = { ...report, checks: Object.freeze(Object.fromEntries(kept)) };
  if (answer.fromChecks) {
    let status: HealthStatus = 'pass';
    const problems: string[] = [];
    for (const [, [entry]] of kept) {
      if (entry.status === 'pass') continue;
      problems.push(
        `${entry.componentId}: ${entry.output ?? (entry.status === 'warn' ? 'degraded' : 'failed')}`,
      );
      if (entry.status === 'fail' && isCritical(entry.componentId)) status = 'fail';
      else if (status === 'pass') status = 'warn';
    }
    filtered.status = status;
    if (status === 'pass') delete filtered.output;
    else filtered.output = boundText(problems.join('; '));
  }
  if (unknown.length > 0) filtered.notes = excludeNotes(unknown);
  return toAnswer(filtered, answer.fromChecks);
}

/**
 * @internal Notes on `?exclude=` names that matched no check: a few, each name cut short and
 * quoted as a JSON string (control characters escaped), so a caller cannot make an answer echo
 * what it likes.
 */
export function excludeNotes(unknown: readonly string[]): string[] {
  const { notes, nameLength } = EXCLUDE_LIMITS;
  const shown = unknown.slice(0, notes).map((name) => {
    const cut = name.length > nameLength ? `${name.slice(0, nameLength)}…` : name;
    return `exclude: no check named ${JSON.stringify(cut)} in this probe`;
  });
  if (unknown.length > notes) {
    shown.push(`exclude: ${unknown.length - notes} more names matched no check`);
  }
  return shown;
}
