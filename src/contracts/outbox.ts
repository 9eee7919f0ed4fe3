/**
 * The transactional outbox (ARCHITECTURE "durable before anything is announced"): what a sink
 * writes in the group commit's transaction and later drains. `store/` implements it; sinks see only
 * this contract.
 */

/** A message to deliver once the transaction that produced it has committed. */
export interface OutboxMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain?: boolean;
  /**
   * Messages with the same key must reach subscribers in id order (e.g. the versions of one
   * order); a relay may publish different keys concurrently.
   */
  orderingKey?: string;
  /** Which sink drains it: 'mqtt' (default) or 'webhook:{url}'. */
  sink?: string;
  /** The receiver's deduplication key (the CloudEvent id); sent as the webhook `Idempotency-Key`. */
  idempotencyKey?: string;
}

export interface OutboxEntry {
  id: number;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  orderingKey?: string;
  createdAt: number;
  attempts: number;
  lastAttemptAt?: number;
  lastError?: string;
  /** Set by the per-sink queries (webhooks); the MQTT relay's `pending()` leaves it out. */
  sink?: string;
  idempotencyKey?: string;
  /** A failed entry is not tried again before this instant (epoch ms). */
  nextAttemptAt?: number;
  /** When the sink gave up on it; a dead entry is kept until revived or deleted by hand. */
  deadAt?: number;
}

/** An entry a sink gave up on, as the dead-delivery API lists it (no topic, no payload). */
export interface DeadOutboxEntry {
  id: number;
  sink: string;
  idempotencyKey?: string;
  orderingKey?: string;
  attempts: number;
  createdAt: number;
  deadAt: number;
  lastError?: string;
}

/** The outbox as sinks use it: append inside a transaction, drain and mark afterwards. */
export interface Outbox {
  /** Inside the caller's transaction; returns the entry's id (ids ascend in commit order). */
  append(message: OutboxMessage, at: number): number;
  /** The MQTT sink's pending entries, oldest first. */
  pending(limit: number): OutboxEntry[];
  markDelivered(id: number, at: number): boolean;
  markDeliveredMany(ids: readonly number[], at: number): number;
  markAttempt(id: number, at: number, error: string): void;
  /** Pending entries of one sink with an id above `afterId`, oldest first. */
  pendingForSink(sink: string, limit: number, afterId?: number): OutboxEntry[];
  /** Pending entries of one sink and ordering key with ids in [fromId, toId], oldest first. */
  pendingForKey(sink: string, orderingKey: string, fromId: number, toId: number, limit: number): OutboxEntry[];
  findPending(id: number): OutboxEntry | undefined;
  markRetry(id: number, at: number, error: string, nextAttemptAt: number): boolean;
  markDead(id: number, at: number, error: string): boolean;
  listDead(limit: number, sink?: string): DeadOutboxEntry[];
  /** Puts a dead entry back in its sink's queue; false when there is no such dead entry. */
  revive(id: number): boolean;
  /** Counts revivals since the store opened: a sink reading past its cursor notices one. */
  readonly revivals: number;
  countPending(): number;
  countPendingBySink(): Record<string, number>;
  pruneDelivered(olderThan: number): number;
}
