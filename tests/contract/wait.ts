/**
 * Bounded waits for the contract suites: they wait on real I/O (a broker, an HTTP receiver, an
 * event stream), so they poll a condition, never sleep for an effect, and fail with what they were
 * waiting for instead of running into the 30 s test timeout.
 */

export interface UntilOptions {
  /** Give up after this long (real time). Default 10 s. */
  timeoutMs?: number;
  /**
   * Called between polls: moves the engine clock on (a ManualScheduler) so that retry timers of a
   * relay fire while the test waits for their effect.
   */
  tick?: () => void;
}

/** Resolves once `condition()` holds; rejects with `what` (evaluated then, to show the state) on timeout. */
export async function until(condition: () => boolean, what: string | (() => string), options: UntilOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (condition()) return;
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${typeof what === 'function' ? what() : what}`);
    options.tick?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `promise`, or a clear failure after `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One turn of the event loop: resolves after the I/O and timers now due, like a commit at the end of a turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
