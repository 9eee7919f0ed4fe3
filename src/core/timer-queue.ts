import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';

/** Anything that can sit in a TimerQueue. `heapIndex` is -1 while the entry is not armed. */
export interface TimerEntry {
  dueAt: number;
  heapIndex: number;
}

/**
 * One timer structure for any number of keys: an indexed binary min-heap on `dueAt`, with a single
 * scheduler action armed for the earliest entry. A million armed inactivity timers cost a million
 * heap slots, not a million scheduler actions (ARCHITECTURE.md, "Time").
 *
 * Entries are the callers' own state objects, so re-arming a key moves it inside the heap instead
 * of leaving a stale copy behind. Firing happens on the scheduler's clock: an entry fires once
 * `scheduler.now() >= dueAt`, in due order; `onDue` may re-arm it.
 */
export class TimerQueue<T extends TimerEntry> {
  private readonly heap: T[] = [];
  private wakeup: Subscription | undefined;
  private wakeupAt = Infinity;
  private disposed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onDue: (entry: T, now: number) => void,
  ) {}

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
    if (dueAt < this.wakeupAt) this.scheduleWakeup();
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

  /** Fires every entry due at or before `now`. Public for replay, which advances time itself. */
  fireDue(now: number = this.scheduler.now()): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.dueAt <= now && !this.disposed) {
      const entry = heap[0]!;
      this.disarm(entry);
      this.onDue(entry, now);
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
      this.fireDue(this.scheduler.now());
      if (!this.disposed && this.heap.length > 0) this.scheduleWakeup();
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
