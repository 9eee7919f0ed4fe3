import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

interface PendingAction {
  dueAt: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/**
 * A scheduler whose clock moves only when told to: for tests without marbles, and for replay,
 * which advances it to each recorded reading's event time. Actions run in due order, and `now()`
 * reads each action's own due time while it runs, so a timer fires "at" its deadline exactly as it
 * would live.
 */
export class ManualScheduler implements SchedulerLike {
  private current: number;
  private seq = 0;
  private pending: PendingAction[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay = 0, state?: T): Subscription {
    const scheduler = this;
    const subscription = new Subscription();
    let entry: PendingAction;
    const action = Object.assign(subscription, {
      schedule(nextState?: T, nextDelay = 0): Subscription {
        // Re-scheduling from inside `work` reuses this action, as RxJS actions do.
        scheduler.cancel(entry);
        enqueue(nextState as T, nextDelay);
        return subscription;
      },
    }) as unknown as SchedulerAction<T>;
    const enqueue = (s: T, d: number) => {
      entry = { dueAt: scheduler.current + Math.max(0, d), seq: scheduler.seq++, cancelled: false, run: () => work.call(action, s) };
      scheduler.insert(entry);
    };
    enqueue(state as T, delay);
    subscription.add(() => scheduler.cancel(entry));
    return subscription;
  }

  /** Moves the clock forward to `time`, running every action due on the way, in order. */
  advanceTo(time: number): void {
    if (time < this.current) return; // the clock never goes back
    for (;;) {
      const next = this.pending[0];
      if (!next || next.dueAt > time) break;
      this.pending.shift();
      if (next.cancelled) continue;
      this.current = Math.max(this.current, next.dueAt);
      next.run();
    }
    this.current = time;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Actions still waiting. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** When the next waiting action is due (Infinity when none is): replay stops there to settle. */
  get nextDueAt(): number {
    return this.pending[0]?.dueAt ?? Infinity;
  }

  private cancel(entry: PendingAction): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    const index = this.pending.indexOf(entry);
    if (index >= 0) this.pending.splice(index, 1);
  }

  private insert(entry: PendingAction): void {
    // Few actions are ever pending (one per TimerQueue), so a sorted array beats a heap here.
    const list = this.pending;
    let i = list.length;
    while (i > 0 && (list[i - 1]!.dueAt > entry.dueAt || (list[i - 1]!.dueAt === entry.dueAt && list[i - 1]!.seq > entry.seq))) i--;
    list.splice(i, 0, entry);
  }
}
