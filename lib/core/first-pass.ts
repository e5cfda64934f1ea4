import type { CheckOutcome } from './check-outcome.js';

/** A failure of a check that has not passed yet is run again this soon, to begin with. */
export const NOT_PASSING_YET_RETRY_MS = 100;

/**
 * @internal Whether a check has passed since boot, and so how long a failure of it is reused. A
 * check that has not passed yet is most often waiting for the app to finish starting (a warm-up,
 * a worker that registers a moment after the health module's first run): its failure is run again
 * soon, 100 ms after it, doubling while it keeps failing, up to its usual interval, so that the
 * probes pass as soon as it does. Once it has passed, a failure is reused as long as any result:
 * a struggling dependency is not hammered.
 */
export class FirstPass {
  private passed = false;
  /** Consecutive failures since boot, while it has not passed. */
  private failures = 0;

  /** Whether it has passed (not failed: a `warn` counts) since boot. */
  get done(): boolean {
    return this.passed;
  }

  /** Takes a run's outcome into account. */
  record(outcome: CheckOutcome): void {
    if (!outcome.failed) this.passed = true;
    else if (!this.passed) this.failures++;
  }

  /** How long `outcome` is reused, when a result of this check is usually reused for `usualMs`. */
  reuseFor(outcome: CheckOutcome, usualMs: number): number {
    if (!outcome.failed || this.passed) return usualMs;
    return Math.min(usualMs, NOT_PASSING_YET_RETRY_MS * 2 ** Math.max(this.failures - 1, 0));
  }
}
