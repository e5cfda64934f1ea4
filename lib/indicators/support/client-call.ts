/** @internal Rejects when the signal aborts; for clients that cannot take a signal themselves. */
export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * @internal A call to a client that takes no signal, which may outlive the check that made it:
 * the check gives up at its timeout (its probe answers then, every time), the call goes on. The
 * next checks wait for that call instead of making another, so a hung dependency never collects
 * one call per probe in the application's client. The runner's `AbandonedCalls` cannot do this:
 * it holds only the checks that outlive their signal, and a built-in indicator's never does.
 */
export class PendingCall<T> {
  private pending?: Promise<T>;

  /** The answer to `call`, or to the one still pending; rejects when `signal` aborts first. */
  join(call: () => PromiseLike<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.pending === undefined) {
      const pending = callNow(call);
      this.pending = pending;
      const clear = () => {
        if (this.pending === pending) this.pending = undefined;
      };
      pending.then(clear, clear);
    }
    return abortable(this.pending, signal);
  }
}

/** `call` made at once (before the check's first `await`), a throw of its a rejection. */
function callNow<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}
