import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** What the pending list holds: an action's place in time. */
interface Queued {
  dueAt: number;
  seq: number;
  queued: boolean;
  run(): void;
}

/**
 * One scheduled piece of work: its own subscription, its own RxJS action (`schedule` again from
 * inside `work` reuses it), and its own place in the pending list — one object per `schedule`
 * call, where a subscription, an action, an entry and three closures each were (replay profile:
 * the timer queues reschedule their wake-up at every firing, hundreds of thousands of times a
 * replay).
 */
class ManualAction<T> extends Subscription implements Queued {
  dueAt = 0;
  seq = 0;
  /** In the scheduler's pending list. */
  queued = false;

  constructor(
    private readonly scheduler: ManualScheduler,
    private readonly work: (this: SchedulerAction<T>, state: T) => void,
    private state: T,
  ) {
    super();
  }

  /** Runs `work` again `delay` from now, in place of a run still pending (as RxJS actions do). */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.scheduler.dequeue(this);
    this.state = state as T;
    this.scheduler.enqueue(this, delay);
    return this;
  }

  run(): void {
    this.work.call(this as unknown as SchedulerAction<T>, this.state);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.scheduler.dequeue(this);
    super.unsubscribe();
  }
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
  private pending: Queued[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay = 0, state?: T): Subscription {
    const action = new ManualAction<T>(this, work, state as T);
    this.enqueue(action, delay);
    return action;
  }

  /** Moves the clock forward to `time`, running every action due on the way, in order. */
  advanceTo(time: number): void {
    if (time < this.current) return; // the clock never goes back
    for (;;) {
      const next = this.pending[0];
      if (!next || next.dueAt > time) break;
      this.pending.shift();
      next.queued = false;
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

  /** @internal Queues `action` to run `delay` from now. */
  enqueue(action: Queued, delay: number): void {
    action.dueAt = this.current + Math.max(0, delay);
    action.seq = this.seq++;
    action.queued = true;
    // Few actions are ever pending (one per TimerQueue), so a sorted array beats a heap here.
    const list = this.pending;
    let i = list.length;
    while (i > 0 && (list[i - 1]!.dueAt > action.dueAt || (list[i - 1]!.dueAt === action.dueAt && list[i - 1]!.seq > action.seq))) i--;
    list.splice(i, 0, action);
  }

  /** @internal Takes `action` out of the queue, if it is waiting there. */
  dequeue(action: Queued): void {
    if (!action.queued) return;
    action.queued = false;
    const index = this.pending.indexOf(action);
    if (index >= 0) this.pending.splice(index, 1);
  }
}
