import type { HealthReport, HealthStatus } from '../interfaces/health-check.interface.js';
import type { CheckOutcome } from './check-outcome.js';

/** @internal The fields every report carries: `version`, `releaseId`, `serviceId`, `description`. */
export type ReportIdentity = Readonly<
  Partial<Record<'version' | 'releaseId' | 'serviceId' | 'description', string>>
>;

/** @internal What a probe says, whatever the transport: a status and the report behind it. */
export interface ProbeResult {
  readonly probe: string;
  readonly status: HealthStatus;
  /** Frozen; the same object while nothing has changed, so a transport may keep what it made of it. */
  readonly report: HealthReport;
  /** The outcomes its checks aggregated to; absent when a gate decided. */
  readonly outcomes?: readonly CheckOutcome[];
}

/** @internal A probe's result from its report (and the outcomes behind it), frozen. */
export function probeResult(
  probe: string,
  report: HealthReport,
  outcomes?: readonly CheckOutcome[],
): ProbeResult {
  return Object.freeze({ probe, status: report.status, report, outcomes });
}

/** @internal A failure decided before any check: a gate, a stall, nothing published yet. */
export function failingResult(
  probe: string,
  identity: ReportIdentity,
  output: string,
): ProbeResult {
  return probeResult(probe, Object.freeze({ status: 'fail' as const, ...identity, output }));
}
