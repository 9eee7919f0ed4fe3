import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';

/** The part of the outbox repository the relay uses. */
export interface OutboxSource {
  pending(limit: number): Array<{ id: number; topic: string; payload: string; qos: 0 | 1; retain: boolean }>;
  markDelivered(id: number, at: number): void;
  markAttempt(id: number, at: number, error: string): void;
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
}

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
    } finally {
      // Cleared in the same synchronous step that saw `again` false, so no kick can fall in a gap.
      this.running = false;
    }
  }

  /** Publishes a batch in order; false when the broker refused one (a retry is then scheduled). */
  private async deliver(batch: ReturnType<OutboxSource['pending']>): Promise<boolean> {
    const { outbox, publish, scheduler } = this.options;
    for (const entry of batch) {
      if (this.stopped) return false;
      try {
        await publish(entry.topic, entry.payload, entry.qos, entry.retain);
      } catch (err) {
        outbox.markAttempt(entry.id, scheduler.now(), (err as Error).message);
        if (this.stopped) return false; // shutting down: the entry waits in the outbox for the next start
        this.options.onPublishFailed?.(entry.topic, err as Error);
        this.scheduleRetry();
        return false;
      }
      outbox.markDelivered(entry.id, scheduler.now());
      this.delivered++;
      this.failures = 0;
    }
    return true;
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
