/**
 * @internal A value now, or later. The health path stays synchronous while every value is at hand
 * (a cached probe never waits for a tick), and becomes a promise only where one is.
 */
export type Maybe<T> = T | Promise<T>;

/** Whether a value is a promise or any thenable (a guard override may return one of its own). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Continues synchronously when the value is at hand. */
export function andThen<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Every value, synchronously when each is at hand. */
export function all<T>(values: readonly Maybe<T>[]): Maybe<T[]> {
  return values.some((value) => value instanceof Promise) ? Promise.all(values) : (values as T[]);
}

/** Runs `run`, turning a synchronous throw into a rejection, and `fallback` handling either. */
export function attempt<T>(run: () => Maybe<T>, fallback: (error: unknown) => Maybe<T>): Maybe<T> {
  let value: Maybe<T>;
  try {
    value = run();
  } catch (error) {
    return fallback(error);
  }
  return value instanceof Promise ? value.catch(fallback) : value;
}
