import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';

/** The part of the outbox repository the relay uses. */
export interface OutboxSource {
  pending(limit: number): Array<{ id: number; topic: string; payload: string; qos: 0 | 1; retain: boolean }>;
  markDeliveredMany(ids: readonly number[], at: number): number;
  markAttempt(id: number, at: number, error: string): void;
  pruneDelivered(olderThan: number): number;
}

export type OutboxPublisher = (topic: string, payload: string, qos: 0 | 1, retain: boolean) => Promise<void>;

export interface OutboxRelayOptions {
  outbox: OutboxSource;
  publish: OutboxPublisher;
  scheduler: Scheduler;
  onPublishFailed?(topic: string, err: Error): void;
  batchSize?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Delivered entries are kept this long (for inspection), then deleted. Default 24 h. */
  retainDeliveredMs?: number;
}

/** Pruning is cheap but not free: at most once per this interval of engine time. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Drains the transactional outbox into the broker: rows are committed together with the alert or
 * order they announce, and marked delivered only once the broker has taken them (QoS 1 PUBACK, or
 * aedes' in-process callback). A crash in between republishes on the next start — at-least-once,
 * with CloudEvent ids for consumers to drop the duplicate. Entries go out strictly in commit
 * order, so a consumer never sees an order's version 3 before version 2; when the broker refuses
 * one, the relay waits (exponential backoff on the engine clock) instead of skipping ahead.
 */
export class OutboxRelay {
  private running = false;
  private again = false;
  private retry: Subscription | undefined;
  private failures = 0;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private lastPruneAt = -Infinity;
  delivered = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Something was committed: deliver it now (or as soon as the current pass ends). */
  kick(): void {
    if (this.stopped || this.retry) return;
    this.again = true;
    if (this.running) return;
    this.running = true;
    this.idle = this.drain();
  }

  /** Resolves when the relay has nothing in flight. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  stop(): void {
    this.stopped = true;
    this.retry?.unsubscribe();
    this.retry = undefined;
  }

  private async drain(): Promise<void> {
    const batchSize = this.options.batchSize ?? 256;
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        let batch;
        do {
          batch = this.options.outbox.pending(batchSize);
          if (!(await this.deliver(batch))) return;
        } while (batch.length === batchSize);
      }
      this.pruneDelivered();
    } finally {
      // Cleared in the same synchronous step that saw `again` false, so no kick can fall in a gap.
      this.running = false;
    }
  }

  /**
   * Publishes a batch: every message is handed to the broker in commit order without waiting for
   * the previous acknowledgement (one connection keeps the order, and mqtt.js resends unacknowledged
   * QoS 1 messages in order after a reconnect), then the acknowledgements are awaited together —
   * one round trip per batch instead of one per message. Deliveries are recorded once per batch, in
   * one transaction; a crash before that only means those entries go out again (at-least-once, as
   * everywhere in the outbox). False when the broker refused one (a retry is then scheduled).
   */
  private async deliver(batch: ReturnType<OutboxSource['pending']>): Promise<boolean> {
    const { outbox, publish, scheduler } = this.options;
    if (this.stopped || batch.length === 0) return !this.stopped;
    const results = await Promise.allSettled(batch.map((entry) => publish(entry.topic, entry.payload, entry.qos, entry.retain)));
    // Only the run before the first refusal counts as delivered: whatever followed it is sent again
    // after it, so the last copy a consumer sees of an order is still its newest version.
    const done: number[] = [];
    let firstFailure: { topic: string; err: Error } | undefined;
    results.forEach((result, i) => {
      const entry = batch[i]!;
      if (result.status === 'fulfilled') {
        if (!firstFailure) done.push(entry.id);
      } else {
        outbox.markAttempt(entry.id, scheduler.now(), (result.reason as Error).message);
        firstFailure ??= { topic: entry.topic, err: result.reason as Error };
      }
    });
    outbox.markDeliveredMany(done, scheduler.now());
    this.delivered += done.length;
    if (!firstFailure) {
      this.failures = 0;
      return true;
    }
    // Shutting down: the entries wait in the outbox for the next start.
    if (!this.stopped) {
      this.options.onPublishFailed?.(firstFailure.topic, firstFailure.err);
      this.scheduleRetry();
    }
    return false;
  }

  /** Without this the outbox table would grow with every alert for as long as the engine runs. */
  private pruneDelivered(): void {
    const now = this.options.scheduler.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    this.options.outbox.pruneDelivered(now - (this.options.retainDeliveredMs ?? 24 * 3_600_000));
  }

  private scheduleRetry(): void {
    const base = this.options.retryBaseMs ?? 500;
    const max = this.options.retryMaxMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** this.failures);
    this.failures++;
    this.retry = this.options.scheduler.schedule(() => {
      this.retry = undefined;
      this.kick();
    }, delay);
  }
}
