import type { AbandonedCalls } from './abandoned-calls.js';

/** @internal How one call of `check()` ended. */
export type Settled =
  | { value: unknown }
  | { error: unknown }
  /** `call`: the call given up on, held until it settles. */
  | { timedOut: true; call: symbol }
  /** Earlier calls timed out and have not settled: check() is not called now, for this reason. */
  | { waiting: string };

/**
 * @internal Calls `check` and resolves with whatever happens first: a value, an error or the
 * timeout, which aborts the signal it gave the check. A call that outlives its timeout is held
 * (`AbandonedCalls`) until it settles. `during` runs around the synchronous part of the call.
 */
export function callCheck(
  check: (signal: AbortSignal) => unknown,
  timeoutMs: number,
  abandoned: AbandonedCalls,
  during: (calling: boolean) => void = () => undefined,
): Promise<Settled> {
  const controller = new AbortController();
  const began = Date.now();
  let call: symbol | undefined;
  return new Promise<Settled>((resolve) => {
    let decided = false;
    const timer = setTimeout(() => {
      // A loop kept busy by other work may have held this call's answer back: I/O that has
      // arrived meanwhile is read (the poll phase) before the verdict (setImmediate).
      setImmediate(() => {
        if (decided) return;
        decided = true;
        const given = abandoned.abandon(began, Date.now());
        call = given;
        controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
        resolve({ timedOut: true, call: given });
      });
    }, timeoutMs);
    timer.unref();
    const done = (result: Settled) => {
      if (call !== undefined) abandoned.settled(call);
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      abandoned.answered();
      resolve(result);
    };
    during(true);
    try {
      Promise.resolve(check(controller.signal)).then(
        (value) => done({ value }),
        (error: unknown) => done({ error }),
      );
    } catch (error) {
      done({ error });
    } finally {
      during(false);
    }
  });
}
