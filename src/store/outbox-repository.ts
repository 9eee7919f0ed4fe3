import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';

/** A message to publish once the transaction that produced it has committed. */
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
}

interface OutboxRow {
  id: number;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: 0 | 1;
  ordering_key: string | null;
  created_at: number;
  attempts: number;
  last_attempt_at: number | null;
  last_error: string | null;
}

/** Longest error text kept per entry: enough to diagnose, never a dumped payload. */
const MAX_ERROR_LENGTH = 1000;

/**
 * The transactional outbox: the engine appends the messages announcing an alert or order in the
 * same transaction that saves them, and a relay publishes pending entries afterwards. A message
 * is therefore announced only if its state is durable, and never lost if the process dies between
 * commit and publish: at start the relay finds it still pending and publishes it again
 * (at-least-once; consumers deduplicate on order id + version or on the outbox id).
 */
export class OutboxRepository {
  private readonly insert: Statement;
  private readonly selectPending: Statement;
  private readonly delivered: Statement;
  private readonly attempt: Statement;
  private readonly countPendingStmt: Statement;
  private readonly prune: Statement;
  private readonly markManyTx: (ids: readonly number[], at: number) => number;

  constructor(db: Database) {
    this.insert = db.prepare(`
      INSERT INTO outbox (topic, payload, qos, retain, ordering_key, created_at, sink, idempotency_key)
      VALUES (@topic, @payload, @qos, @retain, @orderingKey, @createdAt, @sink, @idempotencyKey)`);
    this.selectPending = db.prepare(`
      SELECT id, topic, payload, qos, retain, ordering_key, created_at, attempts, last_attempt_at, last_error
      FROM outbox WHERE sink = 'mqtt' AND delivered_at IS NULL AND dead_at IS NULL ORDER BY id LIMIT ?`);
    this.delivered = db.prepare('UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL');
    this.markManyTx = db.transaction((ids: readonly number[], at: number) => {
      let changed = 0;
      for (const id of ids) changed += this.delivered.run(at, id).changes;
      return changed;
    });
    this.attempt = db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ? WHERE id = ?');
    this.countPendingStmt = db.prepare('SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL').pluck();
    this.prune = db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?');
  }

  /** Appends a message; call it inside the transaction that saves what the message announces. */
  append(message: OutboxMessage, at: number): number {
    const info = this.insert.run({
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain ? 1 : 0,
      orderingKey: message.orderingKey ?? null,
      createdAt: at,
      sink: message.sink ?? 'mqtt',
      idempotencyKey: message.idempotencyKey ?? null,
    });
    return Number(info.lastInsertRowid);
  }

  /** Up to `limit` undelivered MQTT entries, oldest (lowest id) first. */
  pending(limit: number): OutboxEntry[] {
    const rows = this.selectPending.all(Math.max(0, Math.trunc(limit))) as OutboxRow[];
    return rows.map(toEntry);
  }

  /** Marks the entry delivered; false when it was unknown or already delivered. */
  markDelivered(id: number, at: number): boolean {
    return this.delivered.run(at, id).changes > 0;
  }

  /**
   * Marks several entries delivered in one transaction — one WAL commit instead of one per entry,
   * which is most of the relay's cost when a storm of alerts goes out. Returns how many changed.
   */
  markDeliveredMany(ids: readonly number[], at: number): number {
    return ids.length === 0 ? 0 : this.markManyTx(ids, at);
  }

  /** Records a failed delivery attempt; the entry stays pending. */
  markAttempt(id: number, at: number, error: string): void {
    this.attempt.run(at, error.length > MAX_ERROR_LENGTH ? error.slice(0, MAX_ERROR_LENGTH) : error, id);
  }

  countPending(): number {
    return this.countPendingStmt.get() as number;
  }

  /** Deletes entries delivered before `olderThan` (epoch ms); returns how many. */
  pruneDelivered(olderThan: number): number {
    return this.prune.run(olderThan).changes;
  }
}

function toEntry(row: OutboxRow): OutboxEntry {
  const entry: OutboxEntry = {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    qos: row.qos,
    retain: row.retain === 1,
    createdAt: row.created_at,
    attempts: row.attempts,
  };
  if (row.ordering_key !== null) entry.orderingKey = row.ordering_key;
  if (row.last_attempt_at !== null) entry.lastAttemptAt = row.last_attempt_at;
  if (row.last_error !== null) entry.lastError = row.last_error;
  return entry;
}
