import type { Scheduler } from '../contracts/clock.js';
import type { OrderEventLog, OrderEventRecord } from '../contracts/order-event.js';
import type { Announcement, Sink, SinkInput } from '../contracts/sink.js';

export interface OrderLogSinkOptions {
  log: OrderEventLog;
  scheduler: Scheduler;
  /** How long logged events are kept for SSE clients that resume with Last-Event-ID. */
  retainMs: number;
}

export type OrderEventListener = (event: OrderEventRecord) => void;

/** Pruning is cheap but not free: at most once per this interval of engine time. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The order event log behind `GET /api/orders/stream` (server-sent events): every order version's
 * CloudEvent, logged in the group commit's transaction with an id that names it for good, then
 * handed to the live listeners (the open streams) once committed. A client that reconnects with
 * its Last-Event-ID replays the log from there (api/order-event-feed.ts), so delivery is
 * at-least-once across a dropped connection and a restart; a slow client is the stream's problem
 * (it is disconnected and resumes), never the engine's.
 */
export class OrderLogSink implements Sink {
  readonly name = 'sse';
  readonly accepts: ReadonlySet<SinkInput> = new Set<SinkInput>(['orders']);
  private readonly listeners = new Set<OrderEventListener>();
  private written: OrderEventRecord[] = [];
  private lastPruneAt = -Infinity;

  constructor(private readonly options: OrderLogSinkOptions) {}

  start(): void {
    // The log is durable: a client resumes from it; nothing to re-send.
  }

  write(announcement: Announcement): void {
    if (announcement.kind !== 'order') return;
    const { order } = announcement.update;
    const event = { orderId: order.id, version: order.version, type: announcement.type, at: order.updatedAt, payload: announcement.json };
    this.written.push({ id: this.options.log.append(event), ...event });
  }

  committed(): void {
    if (this.written.length === 0) return;
    const events = this.written;
    this.written = [];
    for (const event of events) for (const listener of this.listeners) notifySafely(listener, event);
    this.prune();
  }

  rolledBack(): void {
    this.written = [];
  }

  kick(): void {
    // Delivery is pulled by the streams; nothing waits here.
  }

  stop(): void {
    // Open streams keep their listeners until they close: events committed while the engine
    // stops still reach them, and the API closes them before the engine stops.
  }

  async whenIdle(): Promise<void> {
    // Nothing in flight: listeners are called synchronously.
  }

  /** Logged events after `afterId` (exclusive), oldest first, at most `limit`. */
  eventsAfter(afterId: number, limit: number): OrderEventRecord[] {
    return this.options.log.after(afterId, limit);
  }

  /** Calls `listener` with every event once committed; returns the unsubscribe function. */
  onEvent(listener: OrderEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The log is kept `retainMs` (default 7 days): checked at most every 10 minutes. */
  private prune(): void {
    const now = this.options.scheduler.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    this.options.log.pruneOlderThan(now - this.options.retainMs);
  }
}

/** A failing listener must not stop the others or the engine. */
function notifySafely(listener: OrderEventListener, event: OrderEventRecord): void {
  try {
    listener(event);
  } catch {
    // the stream route unsubscribes broken connections itself
  }
}
