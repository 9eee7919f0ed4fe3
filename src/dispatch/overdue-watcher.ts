import type { Scheduler } from '../contracts/clock.js';
import type { DispatchOrder } from '../contracts/order.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';
import { nextCheckAt } from './order-deadlines.js';

interface WatchedOrder extends TimerEntry {
  orderId: string;
}

/**
 * Watches every unfinished order's deadlines on the engine clock (超时预警): one timer per order,
 * at its next warning or deadline, all in one TimerQueue (one scheduler action however many
 * orders are open). The watcher only says *when* to look; what is due is decided from the order
 * as stored at that moment (`order-deadlines.ts`), so a status report that arrived in between is
 * never overridden by a stale timer.
 */
export class OverdueWatcher {
  private readonly watched = new Map<string, WatchedOrder>();
  private readonly timers: TimerQueue<WatchedOrder>;

  constructor(scheduler: Scheduler, onDue: (orderId: string, now: number) => void) {
    this.timers = new TimerQueue(scheduler, (entry, now) => {
      this.watched.delete(entry.orderId);
      onDue(entry.orderId, now);
    });
  }

  /** Number of orders with a running deadline. */
  get size(): number {
    return this.watched.size;
  }

  /** (Re-)arms the order at its next check, or forgets it when no deadline runs any more. */
  watch(order: DispatchOrder): void {
    const at = nextCheckAt(order);
    let entry = this.watched.get(order.id);
    if (at === undefined) {
      if (entry) {
        this.timers.disarm(entry);
        this.watched.delete(order.id);
      }
      return;
    }
    if (!entry) {
      entry = { orderId: order.id, dueAt: at, heapIndex: -1 };
      this.watched.set(order.id, entry);
    }
    this.timers.arm(entry, at);
  }

  dispose(): void {
    this.timers.dispose();
    this.watched.clear();
  }
}
