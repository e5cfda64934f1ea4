import {
  Inject,
  Injectable,
  type LoggerService,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { CheckOutcome } from '../core/check-outcome.js';
import { HealthEvents, type StatusChange } from '../core/health.events.js';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import { ReadinessState } from '../core/readiness.state.js';
import type { ResolvedHealthOptions } from '../core/resolved-options.js';

/** How often a check that stays slow is warned about, at most. */
const SLOW_WARNING_INTERVAL_MS = 60_000;

/**
 * @internal The module's log of the checks: a line per change of status (and for slow checks),
 * never per probe, from the core's events. A check that has not passed yet
 * since boot is most often waiting for the app to finish starting: it is logged once as not
 * passing yet, and as failed only if it still fails once start-up has completed, or has had its
 * budget (`startupBudgetMs`).
 */
@Injectable()
export class HealthLog implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;
  private readonly failingSince = new Map<string, number>();
  private readonly slowWarnedAt = new Map<string, number>();
  /** Checks that have passed since boot, or whose failure has been logged as one. */
  private readonly judged = new Set<string>();
  /** Checks logged as not passing yet: since when. */
  private readonly notPassingYet = new Map<string, number>();
  private readonly bootAt = Date.now();

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly state: ReadinessState,
    private readonly events: HealthEvents,
  ) {}

  onModuleInit(): void {
    this.subscription = this.events.settled.subscribe(({ check, outcome, previous }) => {
      try {
        this.ran(check, outcome, previous);
      } catch {
        // A logger of the application that throws must cost nothing else.
      }
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private ran(check: string, outcome: CheckOutcome, previous: CheckOutcome | undefined): void {
    this.warnIfSlow(check, outcome);
    const logged = this.logBeforeFirstPass(check, outcome);
    const from = previous?.status ?? 'unknown';
    if (from === outcome.status) return;
    const change: StatusChange = {
      check,
      from,
      to: outcome.status,
      output: outcome.report.output,
      at: outcome.report.time,
    };
    if (!logged) this.log(change, outcome.observedAt);
  }

  /**
   * Logs a result of a check that has not passed since boot: its first failure once, as not
   * passing yet; its first pass; a failure (not one `failureThreshold` damps) once start-up has
   * completed or its budget is spent, as a failure, from when on it is logged as any other.
   * `false`: not such a result, or one to log as any other.
   */
  private logBeforeFirstPass(check: string, outcome: CheckOutcome): boolean {
    if (this.judged.has(check)) return false;
    const since = this.notPassingYet.get(check);
    const at = outcome.observedAt;
    if (!outcome.failed) {
      this.judged.add(check);
      this.notPassingYet.delete(check);
      // A first result that warns is a change like any other: degraded.
      if (since === undefined || outcome.status !== 'pass') return false;
      this.logger.log(messages.checkPassesNow(check, at - since));
      return true;
    }
    const overdue = at - this.bootAt >= this.options.startupBudgetMs;
    if (since === undefined && !(overdue && outcome.status === 'fail')) {
      this.notPassingYet.set(check, at);
      this.logger.log(messages.checkNotPassingYet(check, outcome.report.output));
      return true;
    }
    const due = overdue || this.state.started;
    if (!due || outcome.status !== 'fail') return true;
    this.judged.add(check);
    this.notPassingYet.delete(check);
    this.failingSince.set(check, since ?? at);
    this.logger.error(messages.checkNeverPassed(check, at - this.bootAt, outcome.report.output));
    return true;
  }

  /**
   * At most one warning per check per minute: a slow check is slow on every run. A run that
   * timed out is not "slow": it failed, and its failure is logged as a change.
   */
  private warnIfSlow(check: string, outcome: CheckOutcome): void {
    const { slowCheckMs } = this.options;
    if (slowCheckMs === 0 || outcome.timedOut || outcome.durationMs <= slowCheckMs) return;
    const last = this.slowWarnedAt.get(check);
    if (last !== undefined && outcome.observedAt - last < SLOW_WARNING_INTERVAL_MS) return;
    this.slowWarnedAt.set(check, outcome.observedAt);
    this.logger.warn(messages.slowCheck(check, outcome.durationMs, slowCheckMs));
  }

  private log(change: StatusChange, at: number): void {
    const { check, from, to, output } = change;
    if (to === 'fail') {
      if (!this.failingSince.has(check)) this.failingSince.set(check, at);
      this.logger.error(messages.checkFailed(check, output));
      return;
    }
    const since = this.failingSince.get(check);
    this.failingSince.delete(check);
    if (to === 'warn') this.logger.warn(messages.checkDegraded(check, output));
    else if (from !== 'unknown') this.logger.log(messages.checkRecovered(check, from, since, at));
  }
}
