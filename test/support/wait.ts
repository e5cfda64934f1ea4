/**
 * Waiting for a condition instead of asserting a state at one instant: sockets close, listeners
 * go, background runs happen a little later than the call that caused them, and later still on a
 * loaded CI machine.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `condition` holds, polling every 10 ms, or fails after `withinMs` saying what it
 * was waiting for (`what` may be a function, to tell the state it last saw).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  withinMs = 2000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const described = typeof what === 'function' ? what() : what;
      throw new Error(`still waiting, after ${withinMs} ms, for ${described}`);
    }
    await sleep(10);
  }
}
