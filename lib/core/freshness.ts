import { staleOutcome, type CheckOutcome } from './check-outcome.js';

/**
 * @internal Whether what is known can still be trusted: results of background runs age, and an
 * event loop that has not turned for long is stuck. Pure: the probe server's worker judges with
 * these as the main thread does.
 */

/** @internal Why every probe fails while the event loop is stuck; `undefined` while it turns. */
export function stallOutput(stalledMs: number, maxStallMs: number): string | undefined {
  if (stalledMs <= maxStallMs) return undefined;
  const seconds = (stalledMs / 1000).toFixed(1);
  return `the event loop has not turned for ${seconds} s (maxStallMs ${maxStallMs})`;
}

/**
 * @internal The outcomes as they stand at `now`: one whose background schedule should have
 * refreshed it (older than its check's entry in `staleAfterMs`) fails; the array itself when none
 * does, so that a caller can keep what it made of it.
 */
export function freshOutcomes(
  outcomes: readonly CheckOutcome[],
  staleAfterMs: Readonly<Record<string, number>>,
  now: number,
): readonly CheckOutcome[] {
  let fresh: CheckOutcome[] | undefined;
  outcomes.forEach((outcome, i) => {
    const maxAge = staleAfterMs[outcome.check];
    const stale = maxAge === undefined ? undefined : staleOutcome(outcome, maxAge, now);
    if (stale === undefined) return;
    fresh ??= [...outcomes];
    fresh[i] = stale;
  });
  return fresh ?? outcomes;
}

/** @internal When the first of the outcomes turns stale (`Infinity`: never). */
export function firstStaleAt(
  outcomes: readonly CheckOutcome[],
  staleAfterMs: Readonly<Record<string, number>>,
): number {
  let at = Infinity;
  for (const outcome of outcomes) {
    const maxAge = staleAfterMs[outcome.check];
    if (maxAge !== undefined) at = Math.min(at, outcome.observedAt + maxAge);
  }
  return at;
}
