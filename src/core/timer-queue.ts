import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';

/** Anything that can sit in a TimerQueue. `heapIndex` is -1 while the entry is not armed. */
export interface TimerEntry {
  dueAt: number;
  heapIndex: number;
}

/**
 * How much one wake-up may fire before it hands the event loop back. What is left fires in the
 * next wake-up, scheduled at once (delay 0), so I/O, group commits and other queues' timers run
 * in between instead of waiting behind a whole storm.
 */
export interface FiringBudget {
  /** Entries fired per wake-up at most. */
  maxEntries: number;
  /**
   * Engine-clock milliseconds one wake-up may spend firing. On a virtual clock (ManualScheduler,
   * TestScheduler) time stands still while an action runs, so only `maxEntries` applies there.
   */
  maxMs: number;
}

/**
 * 2 000 entries or 5 ms: one offline alert costs 15–20 µs from firing to staging, so a wake-up fires
 * a few hundred alerts and holds the loop for 5 ms at most, well inside a 50 ms lateness target;
 * the group commit of the same turn takes up to 10 ms (DEFAULT_COMMIT_BUDGET), which keeps what
 * waits for its commit small when the store falls behind.
 */
export const DEFAULT_FIRING_BUDGET: Readonly<FiringBudget> = { maxEntries: 2_000, maxMs: 5 };

/**
 * One timer structure for any number of keys: an indexed binary min-heap on `dueAt`, with a single
 * scheduler action armed for the earliest entry. A million armed inactivity timers cost a million
 * heap slots, not a million scheduler actions (ARCHITECTURE.md, "Time").
 *
 * Entries are the callers' own state objects, so re-arming a key moves it inside the heap instead
 * of leaving a stale copy behind. Firing happens on the scheduler's clock: an entry fires once
 * `scheduler.now() >= dueAt`, in due order; `onDue` may re-arm it.
 *
 * A wake-up fires within its `FiringBudget` and schedules the rest for "now" (delay 0). On a
 * virtual clock that changes nothing observable: `ManualScheduler.advanceTo` and
 * `TestScheduler.flush` run an action scheduled at the current instant before time moves on, so an
 * advance still fires everything due, each entry with `now` at the same instant as before.
 */
export class TimerQueue<T extends TimerEntry> {
  private readonly heap: T[] = [];
  private wakeup: Subscription | undefined;
  private wakeupAt = Infinity;
  private disposed = false;
  /** While a wake-up fires: re-arms from `onDue` wait for the one reschedule at its end. */
  private firing = false;
  private readonly budget: FiringBudget;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onDue: (entry: T, now: number) => void,
    budget: Partial<FiringBudget> = {},
  ) {
    this.budget = { ...DEFAULT_FIRING_BUDGET, ...budget };
    if (!(this.budget.maxEntries >= 1)) throw new RangeError('FiringBudget.maxEntries must be at least 1');
  }

  get size(): number {
    return this.heap.length;
  }

  /** The earliest due time, or Infinity when nothing is armed. */
  get nextDueAt(): number {
    return this.heap.length > 0 ? this.heap[0]!.dueAt : Infinity;
  }

  /** Arms `entry` at `dueAt`, or moves it there when it is already armed. */
  arm(entry: T, dueAt: number): void {
    if (this.disposed) return;
    if (entry.heapIndex >= 0) {
      const previous = entry.dueAt;
      entry.dueAt = dueAt;
      if (dueAt < previous) this.siftUp(entry.heapIndex);
      else this.siftDown(entry.heapIndex);
    } else {
      entry.dueAt = dueAt;
      entry.heapIndex = this.heap.length;
      this.heap.push(entry);
      this.siftUp(entry.heapIndex);
    }
    if (dueAt < this.wakeupAt && !this.firing) this.scheduleWakeup();
  }

  disarm(entry: T): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    const last = this.heap.pop()!;
    entry.heapIndex = -1;
    if (last !== entry) {
      this.heap[index] = last;
      last.heapIndex = index;
      this.siftDown(index);
      this.siftUp(last.heapIndex);
    }
    // A wakeup left for a removed entry fires early, finds nothing due and re-arms itself: cheaper
    // than rescheduling on every disarm.
  }

  isArmed(entry: T): boolean {
    return entry.heapIndex >= 0;
  }

  dispose(): void {
    this.disposed = true;
    this.wakeup?.unsubscribe();
    this.wakeup = undefined;
    for (const entry of this.heap) entry.heapIndex = -1;
    this.heap.length = 0;
  }

  /** Fires every entry due at or before `now`, with no budget. For callers that advance time themselves. */
  fireDue(now: number = this.scheduler.now()): void {
    this.fire(now, Infinity, Infinity);
  }

  /**
   * Fires entries due at or before `now`, in due order, until `maxEntries` fired or the engine
   * clock passed `deadline`. Entries that become due while it runs wait for the next wake-up, so
   * each fires with the `now` of a wake-up that was not before its due time.
   */
  private fire(now: number, maxEntries: number, deadline: number): void {
    const heap = this.heap;
    let fired = 0;
    while (heap.length > 0 && heap[0]!.dueAt <= now && !this.disposed) {
      const entry = heap[0]!;
      this.disarm(entry);
      this.onDue(entry, now);
      if (++fired >= maxEntries || (deadline !== Infinity && this.scheduler.now() >= deadline)) return;
    }
  }

  private scheduleWakeup(): void {
    this.wakeup?.unsubscribe();
    const dueAt = this.nextDueAt;
    this.wakeupAt = dueAt;
    if (dueAt === Infinity) {
      this.wakeup = undefined;
      return;
    }
    const delay = Math.max(0, dueAt - this.scheduler.now());
    this.wakeup = this.scheduler.schedule(() => {
      this.wakeup = undefined;
      this.wakeupAt = Infinity;
      const now = this.scheduler.now();
      this.firing = true;
      try {
        this.fire(now, this.budget.maxEntries, now + this.budget.maxMs);
      } finally {
        this.firing = false;
        // Whatever is still due (budget spent, or re-armed at or before now) gets a delay of 0.
        if (!this.disposed && this.heap.length > 0) this.scheduleWakeup();
      }
    }, delay);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.dueAt <= entry.dueAt) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const entry = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      const childEntry = heap[child]!;
      if (childEntry.dueAt >= entry.dueAt) break;
      heap[index] = childEntry;
      childEntry.heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}
