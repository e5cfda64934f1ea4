import { boundText } from './check-result.normalizer.js';
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
export function toAnswer(report: HealthReport): ProbeAnswer {
  Object.freeze(report);
  return Object.freeze({
    report,
    statusCode: report.status === 'fail' ? 503 : 200,
    body: JSON.stringify(report),
  });
}
