/** A check is called again this many of its timeouts after a call it gave up on began... */
const RETRY_AFTER_TIMEOUTS = 3;
/** ...but never sooner than this (a very short timeout) nor later than this (a long one). */
const FIRST_RETRY_MS = { min: 1000, max: 10_000 };
/** Each consecutive call given up on doubles the wait, up to this. */
const MAX_RETRY_MS = 30_000;
/** At most this many calls are waited for at once... */
const MAX_HELD = 10;
/** ...and a call that has not settled after this long is no longer waited for. */
const WRITE_OFF_MS = 5 * 60_000;

const duration = (ms: number) =>
  ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

/**
 * @internal The calls of one check that outlived its timeout and have not settled: a check that
 * ignores its AbortSignal (a client that takes none) leaves one behind on a hung dependency. The
 * check is not called again at once, which would pile up one hung call per probe, nor never
 * again, which would keep a pod out of rotation after the dependency has recovered: it is called
 * again a few timeouts later, then at doubling intervals up to 30 s while its calls keep hanging.
 */
export class AbandonedCalls {
  /** When each held call began, by call. */
  private readonly held = new Map<symbol, number>();
  private consecutive = 0;
  private nextCallAt = 0;

  constructor(private readonly timeoutMs: number) {}

  /** How many calls are held. */
  get count(): number {
    return this.held.size;
  }

  /** Why the check must not be called now; `undefined` when it may be. */
  wait(now: number): string | undefined {
    for (const [call, began] of this.held) {
      if (now - began > WRITE_OFF_MS) this.held.delete(call);
    }
    if (this.held.size === 0) return undefined;
    if (this.held.size >= MAX_HELD) {
      return `${this.held.size} earlier calls have not settled (check() ignores its AbortSignal): it is called again when one does`;
    }
    if (now >= this.nextCallAt) return undefined;
    const newest = Math.max(...this.held.values());
    return `timed out after ${this.timeoutMs} ms, and has not answered for ${duration(now - newest)}: called again in ${duration(this.nextCallAt - now)}`;
  }

  /** A call outlived its timeout: it is held until it settles. */
  abandon(began: number, now: number): symbol {
    const call = Symbol('abandoned call');
    this.held.set(call, began);
    const first = Math.min(
      Math.max(this.timeoutMs * RETRY_AFTER_TIMEOUTS, FIRST_RETRY_MS.min),
      FIRST_RETRY_MS.max,
    );
    this.nextCallAt = now + Math.min(first * 2 ** this.consecutive, MAX_RETRY_MS);
    this.consecutive++;
    return call;
  }

  /** A held call settled at last. */
  settled(call: symbol): void {
    this.held.delete(call);
  }

  /** A call answered within its timeout: the next one given up on waits the shortest time again. */
  answered(): void {
    this.consecutive = 0;
  }

  /** What a failed run adds to its output while calls other than its own (`own`) are held. */
  note(own?: symbol): string | undefined {
    const count = this.held.size - (own !== undefined && this.held.has(own) ? 1 : 0);
    if (count === 0) return undefined;
    return `${count} earlier call${count === 1 ? '' : 's'} never settled (check() ignores its AbortSignal)`;
  }
}
