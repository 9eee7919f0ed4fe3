import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EngineApi, OrderEventRecord } from '../contracts/engine-api.js';

/** The order event log and its live notifications, as the engine offers them. */
export type OrderEventLog = Pick<EngineApi, 'orderEventsAfter' | 'onOrderEvent'>;

/** Where a feed delivers (an SSE connection, adapted). */
export interface OrderEventTarget {
  deliver(event: OrderEventRecord): void;
  readonly closed: boolean;
  /** Resolves once the target can take more without queueing (or it closed). */
  whenWritable(): Promise<void>;
}

export interface OrderEventFeedOptions {
  /** Events read from the log per query while replaying history. */
  pageSize: number;
  /** Which events this client wants; the others are skipped (they still move the feed on). */
  accept(event: OrderEventRecord): boolean;
}

/** Where a feed starts: after a log id the client already has, or with the next committed event. */
export type FeedStart = { afterId: number } | 'live';

const DEFAULTS: OrderEventFeedOptions = { pageSize: 500, accept: () => true };

/**
 * One client's view of the order event log: the history after its resume point, then live events,
 * in log order, with no gap and no duplicate at the seam.
 *
 * How the seam holds: the feed subscribes to live events *before* reading the log, then reads it
 * page by page until a page comes back short, i.e. it has caught up. While it replays, live
 * notifications are ignored: the engine notifies only after commit, so every event notified so far
 * is already in the log and the following pages return it. The switch to live happens in the same
 * synchronous turn as the short read, so no commit can fall between the two; and a live event at or
 * below the last id delivered (notified after that read) is dropped. History replay is paced by the
 * client: the next page is read only once the previous one has drained, so replaying a long log
 * never holds more than a page in memory, and it yields to the event loop between pages.
 *
 * Lifecycle: new OrderEventFeed(log, target) → start(from) → stop() (idempotent).
 */
export class OrderEventFeed {
  private readonly options: OrderEventFeedOptions;
  /** Id of the last event delivered or skipped. */
  private cursor = 0;
  private live = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly log: OrderEventLog,
    private readonly target: OrderEventTarget,
    options: Partial<OrderEventFeedOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The id of the last event delivered or skipped: what the client has seen, as far as the feed knows. */
  get position(): number {
    return this.cursor;
  }

  get isLive(): boolean {
    return this.live;
  }

  /**
   * Replays the history after `from.afterId` and goes live; resolves once live (at once for
   * `'live'`) or stopped. Rejects when the log cannot be read.
   */
  async start(from: FeedStart): Promise<void> {
    this.unsubscribe = this.log.onOrderEvent((event) => {
      if (this.live) this.forward(event);
    });
    if (from === 'live') {
      this.live = true;
      return;
    }
    this.cursor = this.resumePoint(from.afterId);
    const { pageSize } = this.options;
    while (!this.isDone()) {
      const page = this.log.orderEventsAfter(this.cursor, pageSize);
      for (const event of page) this.forward(event);
      if (page.length < pageSize) {
        this.live = true;
        return;
      }
      await this.target.whenWritable();
      await nextTurn();
    }
  }

  stop(): void {
    this.stopped = true;
    this.live = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private isDone(): boolean {
    return this.stopped || this.target.closed;
  }

  private forward(event: OrderEventRecord): void {
    if (event.id <= this.cursor || this.isDone()) return;
    this.cursor = event.id;
    if (this.options.accept(event)) this.target.deliver(event);
  }

  /**
   * The client's last event should still be in the log. When nothing at or after it is, its id
   * comes from another log — the database was replaced (the demo starts a fresh one every time) —
   * and would make the client skip every new event up to it: replay the whole log instead. (Should
   * retention have pruned the event and everything older while nothing newer came, the whole log
   * is what remains after it anyway.)
   */
  private resumePoint(afterId: number): number {
    if (afterId <= 0) return 0;
    return this.log.orderEventsAfter(afterId - 1, 1).length === 0 ? 0 : afterId;
  }
}
