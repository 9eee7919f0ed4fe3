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

/** An entry the relay can publish: what the outbox holds for the MQTT sink. */
export interface RelayEntry { id: number; topic: string; payload: string; qos: 0 | 1; retain: boolean }

/**
 * Delivered marks wait this long (engine time) for a commit to ride along with before they get a
 * transaction of their own: under load each batch's marks join the next group commit, so an order
 * costs one WAL commit, not two.
 */
const MARK_DELAY_MS = 50;
/** Entries handed over while the relay is still reading the outbox table are kept up to this many. */
const MAX_HANDED_OVER = 10_000;

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
  /**
   * Caught up: every pending entry in the table is also in `handedOver`, so a drain publishes from
   * memory instead of querying the table (the query was ~0.3 ms on every order's path). False at
   * start (a previous run may have left entries) and after a refusal, until a read of the table
   * comes back short.
   */
  private caughtUp = false;
  /** A kick came: the table may hold entries that were never handed over. */
  private tableChanged = false;
  /** Committed MQTT entries in commit order (ids ascend: the table is AUTOINCREMENT). */
  private handedOver: RelayEntry[] = [];
  /** The highest id taken from the table or from memory so far. */
  private lastTaken = 0;
  /** Published, not yet marked delivered in the table. */
  private unmarked: number[] = [];
  private markTimer: Subscription | undefined;
  private retry: Subscription | undefined;
  private failures = 0;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private lastPruneAt = -Infinity;
  delivered = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Something was committed: deliver it now (or as soon as the current pass ends). */
  kick(): void {
    // Entries may have reached the table some other way than `committed`: read it.
    this.caughtUp = false;
    this.tableChanged = true;
    this.start();
  }

  private start(): void {
    if (this.stopped || this.retry) return;
    this.again = true;
    if (this.running) return;
    this.running = true;
    this.idle = this.drain();
  }

  /**
   * Entries just committed for the MQTT sink, in commit order (the group commit hands them over
   * after its transaction); then a kick. Entries the relay is going to read from the table anyway
   * are dropped later by id.
   */
  committed(entries: readonly RelayEntry[]): void {
    if (this.stopped) return;
    if (!this.caughtUp && this.handedOver.length + entries.length > MAX_HANDED_OVER) this.handedOver = [];
    for (const entry of entries) this.handedOver.push(entry);
    this.start();
  }

  /**
   * Writes the delivered marks waiting in memory and returns their ids. The group commit calls it
   * inside its transaction (the marks ride along; `marksRolledBack` if that transaction fails); the
   * mark timer, `whenIdle` and stop call it otherwise. A crash before it only republishes those
   * entries — at-least-once, as ever.
   */
  writeMarks(): readonly number[] {
    this.markTimer?.unsubscribe();
    this.markTimer = undefined;
    if (this.unmarked.length === 0) return [];
    const ids = this.unmarked;
    this.unmarked = [];
    this.options.outbox.markDeliveredMany(ids, this.options.scheduler.now());
    return ids;
  }

  /**
   * The transaction that carried these marks (see `writeMarks`) rolled back: they are not written.
   * Kept again for the next write, or the rows would stay pending and go out a second time — after
   * newer versions of the same order, at the next read of the table.
   */
  marksRolledBack(ids: readonly number[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.unmarked.push(id);
    this.scheduleMarks();
  }

  /** Resolves when the relay has nothing in flight and every delivered entry is marked so. */
  async whenIdle(): Promise<void> {
    await this.idle;
    this.writeMarks();
  }

  stop(): void {
    this.stopped = true;
    this.retry?.unsubscribe();
    this.retry = undefined;
    this.markTimer?.unsubscribe();
    this.markTimer = undefined;
  }

  private async drain(): Promise<void> {
    const batchSize = this.options.batchSize ?? 256;
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        if (this.caughtUp) {
          while (this.handedOver.length > 0) {
            const batch = this.handedOver.splice(0, batchSize).filter((entry) => entry.id > this.lastTaken);
            if (!(await this.deliver(batch))) return;
          }
          continue;
        }
        this.tableChanged = false;
        let batch;
        do {
          // What was published is marked first, or the read would return it again.
          this.writeMarks();
          batch = this.options.outbox.pending(batchSize);
          if (!(await this.deliver(batch))) return;
        } while (batch.length === batchSize);
        // A short read: everything pending was in it, and whatever was committed since is in
        // memory (ids above the last one read).
        if (!this.stopped && !this.tableChanged) {
          this.caughtUp = true;
          this.handedOver = this.handedOver.filter((entry) => entry.id > this.lastTaken);
          this.again ||= this.handedOver.length > 0;
        }
      }
      this.scheduleMarks();
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
    this.lastTaken = Math.max(this.lastTaken, batch.at(-1)!.id);
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
    for (const id of done) this.unmarked.push(id);
    this.delivered += done.length;
    if (!firstFailure) {
      this.failures = 0;
      return true;
    }
    // The refused entry and those after it are in the table: read from there after the retry.
    this.caughtUp = false;
    this.handedOver = [];
    this.writeMarks();
    // Shutting down: the entries wait in the outbox for the next start.
    if (!this.stopped) {
      this.options.onPublishFailed?.(firstFailure.topic, firstFailure.err);
      this.scheduleRetry();
    }
    return false;
  }

  private scheduleMarks(): void {
    if (this.unmarked.length === 0 || this.markTimer || this.stopped) return;
    this.markTimer = this.options.scheduler.schedule(() => {
      this.markTimer = undefined;
      this.writeMarks();
    }, MARK_DELAY_MS);
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
