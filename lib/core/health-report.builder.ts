import { boundText } from './bounded-text.js';
import { EXCLUDE_LIMITS } from './health.constants.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import type {
  CheckReport,
  HealthReport,
  HealthStatus,
} from '../interfaces/health-check.interface.js';
import type { CheckOutcome } from './check-outcome.js';

/**
 * @internal The one aggregation rule: any critical check failing fails the probe; otherwise any
 * check failing or warning degrades it to `warn`; otherwise it passes.
 */
export function aggregate(outcomes: readonly CheckOutcome[]): HealthStatus {
  let status: HealthStatus = 'pass';
  for (const { status: checkStatus, critical } of outcomes) {
    if (checkStatus === 'pass') continue;
    if (checkStatus === 'fail' && critical) return 'fail';
    status = 'warn';
  }
  return status;
}

/** @internal One line naming every check that did not pass, for the report's `output`. */
function summarize(outcomes: readonly CheckOutcome[]): string {
  const parts: string[] = [];
  for (const { status, check, report } of outcomes) {
    if (status === 'pass') continue;
    parts.push(`${check}: ${report.output ?? (status === 'warn' ? 'degraded' : 'failed')}`);
  }
  return boundText(parts.join('; '));
}

/** What else a report may say besides its checks. */
export interface ReportExtras {
  /** Entries added after the checks (the deep probe's process diagnostics). */
  diagnostics?: Record<string, CheckReport[]>;
  /** Remarks about the answer itself. */
  notes?: readonly string[];
  /** `false` for a probe that runs no checks at all: its report has no `checks`. */
  checks?: boolean;
}

/**
 * @internal The one place reports are built: a probe's health+json report from its checks'
 * outcomes, aggregated with `aggregate()`, frozen.
 */
export function buildReport(
  identity: ResolvedHealthOptions['identity'],
  outcomes: readonly CheckOutcome[],
  extras: ReportExtras = {},
): HealthReport {
  const status = aggregate(outcomes);
  const checks: Record<string, CheckReport[]> = {};
  for (const outcome of outcomes) {
    checks[outcome.key] = Object.freeze([outcome.report]) as CheckReport[];
  }
  Object.assign(checks, extras.diagnostics);
  const report: HealthReport = { status, ...identity };
  if (status !== 'pass') report.output = summarize(outcomes);
  if (extras.notes?.length) report.notes = [...extras.notes];
  if (extras.checks !== false) report.checks = Object.freeze(checks);
  return Object.freeze(report);
}

/** @internal The report of one check read on its own: its own status decides, critical or not. */
export function buildCheckReport(
  identity: ResolvedHealthOptions['identity'],
  outcome: CheckOutcome,
): HealthReport {
  const report: HealthReport = { status: outcome.status, ...identity };
  if (outcome.report.output !== undefined) report.output = outcome.report.output;
  report.checks = Object.freeze({
    [outcome.key]: Object.freeze([outcome.report]) as CheckReport[],
  });
  return Object.freeze(report);
}

/** @internal A report that fails for a reason of its own (a gate), keeping what it shows. */
export function failedReport(report: HealthReport, output: string): HealthReport {
  return Object.freeze({ ...report, status: 'fail', output });
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
