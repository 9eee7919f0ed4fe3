import { describe, expect, it } from 'vitest';
import type { OrderEventRecord } from '../../../src/contracts/engine-api.js';
import { OrderEventFeed, type OrderEventLog, type OrderEventTarget } from '../../../src/api/order-event-feed.js';

/** The order event log in memory: `commit` appends and then notifies, as the engine does after a transaction. */
class MemoryLog implements OrderEventLog {
  readonly events: OrderEventRecord[] = [];
  readonly reads: [afterId: number, limit: number][] = [];
  private readonly listeners = new Set<(e: OrderEventRecord) => void>();

  orderEventsAfter(afterId: number, limit: number): OrderEventRecord[] {
    this.reads.push([afterId, limit]);
    return this.events.filter((e) => e.id > afterId).slice(0, limit);
  }

  onOrderEvent(listener: (e: OrderEventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Logs `count` events (orders o-0..o-2 round robin) without notifying yet; returns them. */
  append(count: number): OrderEventRecord[] {
    const added: OrderEventRecord[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.events.length + 1;
      const orderId = `o-${id % 3}`;
      const event = { id, orderId, version: id, type: 'riskwatch.order.status', at: id, payload: JSON.stringify({ tier: id % 2 ? 'grid' : 'street' }) };
      this.events.push(event);
      added.push(event);
    }
    return added;
  }

  notify(events: readonly OrderEventRecord[]): void {
    for (const e of events) for (const listener of [...this.listeners]) listener(e);
  }

  commit(count: number): OrderEventRecord[] {
    const added = this.append(count);
    this.notify(added);
    return added;
  }
}

/** A target that records deliveries; `hold()` makes it report itself full until `release()`. */
class HeldTarget implements OrderEventTarget {
  readonly delivered: number[] = [];
  closed = false;
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  private waitingResolve: (() => void) | undefined;
  /** Resolves when the feed starts waiting on a held target. */
  waiting: Promise<void> = new Promise((r) => { this.waitingResolve = r; });

  deliver(event: OrderEventRecord): void {
    this.delivered.push(event.id);
  }

  whenWritable(): Promise<void> {
    if (!this.gate) return Promise.resolve();
    this.waitingResolve?.();
    return this.gate.promise;
  }

  hold(): void {
    let open: () => void = () => {};
    const promise = new Promise<void>((r) => { open = r; });
    this.gate = { promise, open };
    this.waiting = new Promise((r) => { this.waitingResolve = r; });
  }

  release(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('OrderEventFeed', () => {
  it('replays the history after the resume point in pages, then delivers live events', async () => {
    const log = new MemoryLog();
    log.commit(25);
    const target = new HeldTarget();
    const feed = new OrderEventFeed(log, target, { pageSize: 10 });
    await feed.start({ afterId: 3 });
    expect(target.delivered).toEqual(range(4, 25));
    expect(feed.isLive).toBe(true);
    // 4..13, 14..23, 24..25 (short: caught up); plus the probe of the resume point.
    expect(log.reads.filter(([, limit]) => limit === 10).map(([after]) => after)).toEqual([3, 13, 23]);
    log.commit(2);
    expect(target.delivered.slice(-2)).toEqual([26, 27]);
  });

  it('loses and repeats nothing when events commit while the history is being replayed', async () => {
    const log = new MemoryLog();
    log.commit(30);
    const target = new HeldTarget();
    target.hold();
    const feed = new OrderEventFeed(log, target, { pageSize: 10 });
    const started = feed.start({ afterId: 0 });
    await target.waiting; // page one delivered, the feed waits for the client to drain
    expect(target.delivered).toEqual(range(1, 10));
    log.commit(5); // 31..35 notified mid-replay: they are in the log, the next pages carry them
    target.release();
    await started;
    log.commit(1);
    expect(target.delivered).toEqual(range(1, 36));
  });

  it('drops a live notification of an event it already read from the log', async () => {
    const log = new MemoryLog();
    log.commit(5);
    const late = log.append(2); // committed, read by the replay, notified only afterwards
    const target = new HeldTarget();
    await new OrderEventFeed(log, target, { pageSize: 100 }).start({ afterId: 0 });
    log.notify(late);
    log.commit(1);
    expect(target.delivered).toEqual(range(1, 8));
  });

  it('live: only events committed after it started', async () => {
    const log = new MemoryLog();
    log.commit(5);
    const target = new HeldTarget();
    await new OrderEventFeed(log, target).start('live');
    expect(target.delivered).toEqual([]);
    log.commit(2);
    expect(target.delivered).toEqual([6, 7]);
  });

  it('replays the whole log for a resume point the log never reached (the database was replaced)', async () => {
    const log = new MemoryLog();
    log.commit(3);
    const target = new HeldTarget();
    await new OrderEventFeed(log, target).start({ afterId: 5000 });
    expect(target.delivered).toEqual([1, 2, 3]);
  });

  it('resumes after the client\'s last event even when that event is the newest in the log', async () => {
    const log = new MemoryLog();
    log.commit(3);
    const target = new HeldTarget();
    await new OrderEventFeed(log, target).start({ afterId: 3 });
    log.commit(1);
    expect(target.delivered).toEqual([4]);
  });

  it('skips events the filter rejects, in history and live alike', async () => {
    const log = new MemoryLog();
    log.commit(6);
    const target = new HeldTarget();
    const feed = new OrderEventFeed(log, target, { pageSize: 2, accept: (e) => (JSON.parse(e.payload) as { tier: string }).tier === 'street' });
    await feed.start({ afterId: 0 });
    log.commit(4);
    expect(target.delivered).toEqual([2, 4, 6, 8, 10]);
    expect(feed.position).toBe(10);
  });

  it('stop() unsubscribes and ends a replay in progress', async () => {
    const log = new MemoryLog();
    log.commit(30);
    const target = new HeldTarget();
    target.hold();
    const feed = new OrderEventFeed(log, target, { pageSize: 10 });
    const started = feed.start({ afterId: 0 });
    await target.waiting;
    expect(log.listenerCount).toBe(1);
    feed.stop();
    target.release();
    await started;
    log.commit(1);
    expect(target.delivered).toEqual(range(1, 10));
    expect(log.listenerCount).toBe(0);
  });

  it('stops replaying when the target closes', async () => {
    const log = new MemoryLog();
    log.commit(30);
    const target = new HeldTarget();
    target.hold();
    const started = new OrderEventFeed(log, target, { pageSize: 10 }).start({ afterId: 0 });
    await target.waiting;
    target.closed = true;
    target.release();
    await started;
    expect(target.delivered).toEqual(range(1, 10));
  });
});
