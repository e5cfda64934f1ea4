import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject, type Subscription } from 'rxjs';
import { RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import { HealthEvents, type StatusChange } from './health.events.js';
import type { ResolvedHealthOptions } from './resolved-options.js';
import { HISTORY_LIMIT, NO_HISTORY, type StatusHistory } from './status.view.js';

/**
 * @internal The checks' recent transitions, for the status page (`statusPage`), kept from start-up
 * whether or not anyone looks: an operator who opens the page during an incident wants to know
 * since when. Bounded (`HISTORY_LIMIT`), and one entry per check for its last change: it records
 * the changes `HealthEvents` decides, nothing more, and nothing while the page is off.
 */
@Injectable()
export class StatusRecorder implements OnModuleDestroy {
  /** Emits after each change recorded. */
  readonly changed = new Subject<void>();
  private transitions: readonly StatusChange[] = [];
  private readonly changedAt: Record<string, string> = {};
  private current: StatusHistory = NO_HISTORY;
  private readonly subscription?: Subscription;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) options: ResolvedHealthOptions,
    events: HealthEvents,
  ) {
    if (!options.statusPage) return;
    this.subscription = events.changes.subscribe((change) => this.record(change));
  }

  /** The history as it stands: frozen, the same object until the next change. */
  get history(): StatusHistory {
    return this.current;
  }

  private record(change: StatusChange): void {
    this.transitions = [change, ...this.transitions].slice(0, HISTORY_LIMIT);
    this.changedAt[change.check] = change.at;
    this.current = Object.freeze({
      transitions: Object.freeze(this.transitions),
      changedAt: Object.freeze({ ...this.changedAt }),
    });
    this.changed.next();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.changed.complete();
  }
}
