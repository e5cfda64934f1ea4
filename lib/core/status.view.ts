import type { CheckReport, HealthStatus } from '../interfaces/health-check.interface.js';
import type { CheckOutcome } from './check-outcome.js';
import { stallOutput } from './freshness.js';
import { DIAGNOSTICS_COMPONENT } from './health.constants.js';
import type { StatusChange } from './health.events.js';
import { PROBES } from './probe.definitions.js';
import type { ProbeResult, ReportIdentity } from './probe-result.js';

/**
 * @internal What the status page shows, as data: built from what the probes say (the watcher's
 * results on the main thread, the published ones on the probe server), never judged again here.
 * Pure: the probe server's worker builds it too.
 */

/** @internal The recent transitions of the checks, and when each last changed: bounded. */
export interface StatusHistory {
  /** Newest first. */
  readonly transitions: readonly StatusChange[];
  /** ISO 8601, by check: its last change of status (its first result counts as one). */
  readonly changedAt: Readonly<Record<string, string>>;
}

/** @internal How many transitions the page keeps: the newest. */
export const HISTORY_LIMIT = 50;

/** @internal No transition yet. */
export const NO_HISTORY: StatusHistory = Object.freeze({
  transitions: Object.freeze([]),
  changedAt: Object.freeze({}),
});

/** A loop whose last turn is older than this is shown as late, before it counts as a stall. */
const LATE_MS = 1000;

/** @internal A probe or group as the page shows it. */
export interface StatusViewProbe {
  readonly name: string;
  readonly kind: 'probe' | 'group';
  /** Absent until the probe has a result. */
  readonly status?: HealthStatus;
  readonly output?: string;
}

/** @internal A check as the page shows it: its latest outcome. */
export interface StatusViewCheck {
  readonly name: string;
  readonly status: HealthStatus;
  readonly critical: boolean;
  readonly output?: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  /** ISO 8601: when its last run finished. */
  readonly observedAt: string;
  /** ISO 8601: its last change of status, when known. */
  readonly changedAt?: string;
}

/** @internal One of the process diagnostics (`process:*` of the deep probe). */
export interface StatusViewDiagnostic {
  readonly name: string;
  readonly value: number | string | boolean | undefined;
  readonly unit?: string;
  readonly time: string;
}

/** @internal The main event loop as the probe server reads its heartbeat. */
export interface StatusViewLoop {
  /** Whether the probes fail for it (`maxStallMs` passed): `output` says so. */
  readonly stalled: boolean;
  readonly output?: string;
  /** How long it has not turned, to a tenth of a second, once that is a second or a stall (else 0). */
  readonly lateMs: number;
  readonly maxStallMs: number;
}

/** @internal The status page's data, sent as JSON on its event stream. */
export interface StatusView {
  /** Who read it: the app's port (its own event loop), or the probe server (a worker thread). */
  readonly source: 'app' | 'probe-server';
  readonly service: ReportIdentity;
  readonly probes: readonly StatusViewProbe[];
  readonly checks: readonly StatusViewCheck[];
  readonly transitions: readonly StatusChange[];
  readonly diagnostics: readonly StatusViewDiagnostic[];
  /** The probe server's reading of the main event loop; absent on the app's port. */
  readonly eventLoop?: StatusViewLoop;
}

/** @internal What a view is made of. */
export interface StatusViewInput {
  readonly source: StatusView['source'];
  readonly identity: ReportIdentity;
  /** Every probe and group, with its result as the transport reads it now (if any yet). */
  readonly probes: readonly { readonly name: string; readonly result?: ProbeResult }[];
  /** The latest outcome of each check. */
  readonly outcomes: readonly CheckOutcome[];
  /** Report entries, of which the process diagnostics (`process:*`) are shown. */
  readonly diagnostics?: Readonly<Record<string, readonly CheckReport[]>>;
  readonly history: StatusHistory;
  readonly loop?: { readonly stalledMs: number; readonly maxStallMs: number };
}

const PROBE_NAMES = new Set(PROBES.map((probe) => probe.name));

/** @internal The view of what the probes say, with nothing decided again. */
export function statusView(input: StatusViewInput): StatusView {
  const { history } = input;
  const view: StatusView = {
    source: input.source,
    service: input.identity,
    probes: input.probes.map(({ name, result }) => ({
      name,
      kind: PROBE_NAMES.has(name) ? 'probe' : 'group',
      status: result?.status,
      output: result?.report.output,
    })),
    checks: input.outcomes.map((outcome) => ({
      name: outcome.check,
      status: outcome.status,
      critical: outcome.critical,
      output: outcome.report.output,
      durationMs: Math.round(outcome.durationMs * 10) / 10,
      timedOut: outcome.timedOut,
      observedAt: outcome.report.time,
      changedAt: history.changedAt[outcome.check],
    })),
    transitions: history.transitions,
    diagnostics: diagnosticsOf(input.diagnostics ?? {}),
  };
  if (input.loop === undefined) return view;
  const { stalledMs, maxStallMs } = input.loop;
  const output = stallOutput(stalledMs, maxStallMs);
  const late = stalledMs >= Math.min(LATE_MS, maxStallMs);
  const lateMs = late ? Math.floor(stalledMs / 100) * 100 : 0;
  return { ...view, eventLoop: { stalled: output !== undefined, output, lateMs, maxStallMs } };
}

/** @internal A view as its stream sends it: a line of JSON, stamped with the time it was read. */
export function statusMessage(view: StatusView, now: number): string {
  return JSON.stringify({ at: new Date(now).toISOString(), ...view });
}

function diagnosticsOf(
  entries: Readonly<Record<string, readonly CheckReport[]>>,
): StatusViewDiagnostic[] {
  const prefix = `${DIAGNOSTICS_COMPONENT}:`;
  return Object.entries(entries)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, [entry]]) => ({
      name: key.slice(prefix.length),
      value: entry?.observedValue,
      unit: entry?.observedUnit,
      time: entry?.time ?? '',
    }));
}

/**
 * @internal The newest outcome of each check among results, in the order first seen, and the
 * process diagnostics of the newest result that has them: what the published results say.
 */
export function latestOf(results: Iterable<ProbeResult>): {
  outcomes: CheckOutcome[];
  diagnostics: Readonly<Record<string, readonly CheckReport[]>>;
} {
  const latest = new Map<string, CheckOutcome>();
  let diagnostics: Readonly<Record<string, readonly CheckReport[]>> = {};
  let diagnosticsAt = '';
  const prefix = `${DIAGNOSTICS_COMPONENT}:`;
  for (const result of results) {
    for (const outcome of result.outcomes ?? []) {
      const known = latest.get(outcome.check);
      if (!known || known.observedAt < outcome.observedAt) latest.set(outcome.check, outcome);
    }
    const checks = result.report.checks ?? {};
    const time = Object.entries(checks).find(([key]) => key.startsWith(prefix))?.[1][0]?.time;
    if (time !== undefined && time > diagnosticsAt) {
      diagnostics = checks;
      diagnosticsAt = time;
    }
  }
  return { outcomes: [...latest.values()], diagnostics };
}
