/** One change to the order book: an optional asynchronous preparation, then a synchronous apply. */
export interface DispatchTask<P> {
  /** E.g. the dispatch policy's decision (json-rules-engine is asynchronous). Must not change state. */
  prepare(): P | Promise<P>;
  /** Reads the current order and stages the change; runs in submission order. */
  apply(prepared: P): void;
  /** Called instead of `apply` when `prepare` failed, or when `apply` threw. */
  fail(err: Error): void;
}

/**
 * Serialises every change to orders — alert events, status reports, re-routes, deadline steps —
 * so each is applied to the order as the previous one left it, in the order they happened, while
 * the asynchronous part (the policy decision) of many changes runs together.
 *
 * Batching matters for storms: preparations of everything queued run concurrently, then all the
 * applies run in one synchronous stretch, so the group commit puts the whole batch in one
 * transaction. When nothing is queued and a task needs no asynchronous preparation, it is applied
 * at once, synchronously (no added latency for alerts of non-dispatching scenarios, clears, and
 * deadline timers).
 */
export class DispatchQueue {
  private tasks: Array<DispatchTask<unknown>> = [];
  private draining: Promise<void> | undefined;

  /** Queues the task (or applies it at once, see above). */
  push<P>(task: DispatchTask<P>): void {
    if (!this.draining && this.tasks.length === 0) {
      let prepared: P | Promise<P>;
      try {
        prepared = task.prepare();
      } catch (err) {
        task.fail(err as Error);
        return;
      }
      if (!isPromise(prepared)) {
        applySafely(task, prepared);
        return;
      }
      this.tasks.push({ ...task, prepare: () => prepared } as DispatchTask<unknown>);
    } else {
      this.tasks.push(task as DispatchTask<unknown>);
    }
    this.draining ??= this.drain();
  }

  /** Runs a task and resolves with what `apply` produced (for callers that answer a request). */
  run<P, R>(prepare: () => P | Promise<P>, apply: (prepared: P) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.push<P>({ prepare, apply: (p) => resolve(apply(p)), fail: reject });
    });
  }

  /** Resolves when every queued task has been applied. */
  async whenIdle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  get pending(): number {
    return this.tasks.length;
  }

  /** Something is queued or being decided. */
  get busy(): boolean {
    return this.draining !== undefined || this.tasks.length > 0;
  }

  private async drain(): Promise<void> {
    try {
      while (this.tasks.length > 0) {
        const batch = this.tasks;
        this.tasks = [];
        const prepared = await Promise.allSettled(batch.map((task) => {
          try {
            return Promise.resolve(task.prepare());
          } catch (err) {
            return Promise.reject(err as Error);
          }
        }));
        for (let i = 0; i < batch.length; i++) {
          const result = prepared[i]!;
          if (result.status === 'fulfilled') applySafely(batch[i]!, result.value);
          else batch[i]!.fail(result.reason as Error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}

function applySafely<P>(task: DispatchTask<P>, prepared: P): void {
  try {
    task.apply(prepared);
  } catch (err) {
    task.fail(err as Error);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
