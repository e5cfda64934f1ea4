import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  distinctUntilChanged,
  Observable,
  shareReplay,
  Subject,
  takeUntil,
  type Subscriber,
  type TeardownLogic,
} from 'rxjs';
import { HealthEvents } from './health.events.js';
import { attempt, andThen } from './maybe-promise.js';
import type { ProbeDefinition } from './probe.definitions.js';
import { ProbeEvaluator } from './probe.evaluator.js';
import type { ProbeResult } from './probe-result.js';
import { ReadinessState } from './readiness.state.js';

/** Never sooner than this between two looks, whatever the results say. */
const MIN_DELAY_MS = 10;
/** A watched check cached for no time (`cacheTtlMs: 0`) runs this often, not back to back. */
const UNCACHED_INTERVAL_MS = 1000;

/**
 * @internal Follows a probe while anyone watches it, with no probe traffic needed: its checks are
 * run again as their results expire (background checks are followed as they run), and every
 * change of a check, of start-up or of readiness is seen at once. One loop per probe, however
 * many watch it; none while nobody does.
 */
@Injectable()
export class ProbeWatcher implements OnModuleDestroy {
  private readonly streams = new Map<string, Observable<ProbeResult>>();
  private readonly closed = new Subject<void>();

  constructor(
    private readonly evaluator: ProbeEvaluator,
    private readonly events: HealthEvents,
    private readonly state: ReadinessState,
  ) {}

  /** The probe's current result at once, then each new one; completes when the app closes. */
  results(definition: ProbeDefinition): Observable<ProbeResult> {
    let stream = this.streams.get(definition.name);
    if (stream === undefined) {
      stream = new Observable<ProbeResult>((subscriber) =>
        this.follow(definition, subscriber),
      ).pipe(
        distinctUntilChanged((a, b) => a.report === b.report),
        takeUntil(this.closed),
        shareReplay({ bufferSize: 1, refCount: true }),
      );
      this.streams.set(definition.name, stream);
    }
    return stream;
  }

  onModuleDestroy(): void {
    this.closed.next();
    this.closed.complete();
  }

  private follow(definition: ProbeDefinition, subscriber: Subscriber<ProbeResult>): TeardownLogic {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const emit = (result: ProbeResult | undefined) => {
      if (result !== undefined && !stopped) subscriber.next(result);
    };
    const schedule = () => {
      clearTimeout(timer);
      if (stopped) return;
      const now = Date.now();
      const due = Math.min(
        ...this.evaluator
          .deciding(definition)
          .map((runner) => runner.dueAt(now, UNCACHED_INTERVAL_MS)),
      );
      // No check to follow: only a change of start-up or readiness can change it.
      if (!Number.isFinite(due)) return;
      timer = setTimeout(tick, Math.max(due - now, MIN_DELAY_MS));
      timer.unref();
    };
    const tick = () => {
      void attempt(
        () => andThen(this.evaluator.evaluate(definition), emit),
        () => undefined,
      );
      // The results of the runs started here are seen as they arrive (peek), and set the next tick.
      schedule();
    };
    const look = () => {
      emit(this.evaluator.peek(definition));
      schedule();
    };
    const runs = this.events.runs.subscribe(({ check }) => {
      if (this.evaluator.deciding(definition).some((runner) => runner.name === check)) look();
    });
    const changes = this.state.changed.subscribe(look);
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      runs.unsubscribe();
      changes.unsubscribe();
    };
  }
}
