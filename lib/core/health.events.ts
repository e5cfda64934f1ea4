import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import type { CheckOutcome } from './check-outcome.js';
import type { RunObserver } from './indicator.runner.js';

/** A check changing status: what `HealthService.changes$` emits, for alerts and webhooks. */
export interface StatusChange {
  /** The indicator's name. */
  check: string;
  /** `'unknown'` for the first result of a check. */
  from: HealthStatus | 'unknown';
  to: HealthStatus;
  /** Why, when it warns or fails (redacted like every output). */
  output?: string;
  /** ISO 8601: when the new status was observed. */
  at: string;
}

/** @internal One finished run of a check, for metrics and watchers. */
export interface CheckRunEvent {
  check: string;
  status: HealthStatus;
  durationMs: number;
}

/** @internal One finished run of a check, whole: its outcome and the one it replaces (for the log). */
export interface CheckRun {
  check: string;
  outcome: CheckOutcome;
  previous: CheckOutcome | undefined;
}

/**
 * @internal What happens to the checks, as the core tells it: every run, every change of status.
 * Observability (metrics, the log) and the watchers follow it; nothing here writes anywhere.
 */
@Injectable()
export class HealthEvents implements RunObserver, OnModuleDestroy {
  readonly changes = new Subject<StatusChange>();
  readonly runs = new Subject<CheckRunEvent>();
  readonly settled = new Subject<CheckRun>();

  /** Called by a runner after each run, with the outcome it replaces. */
  ran(check: string, outcome: CheckOutcome, previous: CheckOutcome | undefined): void {
    this.runs.next({ check, status: outcome.status, durationMs: outcome.durationMs });
    this.settled.next({ check, outcome, previous });
    const from = previous?.status ?? 'unknown';
    if (from === outcome.status) return;
    const { output, time: at } = outcome.report;
    this.changes.next({ check, from, to: outcome.status, output, at });
  }

  onModuleDestroy(): void {
    this.changes.complete();
    this.runs.complete();
    this.settled.complete();
  }
}
