import type { Statement } from 'better-sqlite3';
import type { DeadOutboxEntry, Outbox, OutboxEntry, OutboxMessage } from '../contracts/outbox.js';
import type { Database } from './database.js';

export type { DeadOutboxEntry, OutboxEntry, OutboxMessage } from '../contracts/outbox.js';

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

interface SinkOutboxRow extends OutboxRow {
  sink: string;
  idempotency_key: string | null;
  next_attempt_at: number | null;
  dead_at: number | null;
}

interface DeadRow {
  id: number;
  sink: string;
  idempotency_key: string | null;
  ordering_key: string | null;
  attempts: number;
  created_at: number;
  dead_at: number;
  last_error: string | null;
}

/** Columns of a per-sink read: everything a sink needs to send and to schedule a retry. */
const SINK_COLUMNS = `id, topic, payload, qos, retain, ordering_key, created_at, attempts, last_attempt_at, last_error,
  sink, idempotency_key, next_attempt_at, dead_at`;

/** Undelivered and not given up on: the condition of the partial index `outbox_pending (sink, id)`. */
const PENDING = 'delivered_at IS NULL AND dead_at IS NULL';

/** Longest error text kept per entry: enough to diagnose, never a dumped payload. */
const MAX_ERROR_LENGTH = 1000;

/**
 * The transactional outbox: the engine appends the messages announcing an alert or order in the
 * same transaction that saves them, and a relay publishes pending entries afterwards. A message
 * is therefore announced only if its state is durable, and never lost if the process dies between
 * commit and publish: at start the relay finds it still pending and publishes it again
 * (at-least-once; consumers deduplicate on order id + version or on the outbox id).
 */
export class OutboxRepository implements Outbox {
  private readonly insert: Statement;
  private readonly selectPending: Statement;
  private readonly delivered: Statement;
  private readonly attempt: Statement;
  private readonly countPendingStmt: Statement;
  private readonly prune: Statement;
  private readonly markManyTx: (ids: readonly number[], at: number) => number;
  private readonly selectPendingForSink: Statement;
  private readonly selectPendingForKey: Statement;
  private readonly selectPendingById: Statement;
  private readonly retry: Statement;
  private readonly dead: Statement;
  private readonly selectDead: Statement;
  private readonly selectDeadOfSink: Statement;
  private readonly reviveStmt: Statement;
  private readonly countPendingBySinkStmt: Statement;
  private revived = 0;

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
    // Dead rows have no delivered_at, so pruning keeps them for inspection and redelivery.
    this.prune = db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?');

    // Both walk the partial index outbox_pending (sink, id) from `afterId`: a page costs its own
    // rows, however long the backlog behind it.
    this.selectPendingForSink = db.prepare(`
      SELECT ${SINK_COLUMNS} FROM outbox
      WHERE sink = ? AND ${PENDING} AND id > ? ORDER BY id LIMIT ?`);
    this.selectPendingForKey = db.prepare(`
      SELECT ${SINK_COLUMNS} FROM outbox
      WHERE sink = ? AND ${PENDING} AND id >= ? AND id <= ? AND ordering_key = ? ORDER BY id LIMIT ?`);
    this.selectPendingById = db.prepare(`SELECT ${SINK_COLUMNS} FROM outbox WHERE id = ? AND ${PENDING}`);
    this.retry = db.prepare(`
      UPDATE outbox SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error, next_attempt_at = @nextAttemptAt
      WHERE id = @id AND ${PENDING}`);
    this.dead = db.prepare(`
      UPDATE outbox SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error, next_attempt_at = NULL, dead_at = @at
      WHERE id = @id AND ${PENDING}`);
    const deadColumns = 'id, sink, idempotency_key, ordering_key, attempts, created_at, dead_at, last_error';
    this.selectDead = db.prepare(`
      SELECT ${deadColumns} FROM outbox WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?`);
    this.selectDeadOfSink = db.prepare(`
      SELECT ${deadColumns} FROM outbox WHERE sink = ? AND dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?`);
    // last_error and last_attempt_at stay: they tell why it died, until the next attempt says otherwise.
    this.reviveStmt = db.prepare(`
      UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = NULL
      WHERE id = ? AND dead_at IS NOT NULL AND delivered_at IS NULL`);
    this.countPendingBySinkStmt = db.prepare(`SELECT sink, count(*) AS n FROM outbox WHERE ${PENDING} GROUP BY sink`);
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
    this.attempt.run(at, truncateError(error), id);
  }

  /**
   * Up to `limit` pending entries of one sink with an id above `afterId`, oldest first, including
   * entries that wait for a retry (`nextAttemptAt`): the sink decides what is due.
   */
  pendingForSink(sink: string, limit: number, afterId = 0): OutboxEntry[] {
    const rows = this.selectPendingForSink.all(sink, afterId, clampLimit(limit)) as SinkOutboxRow[];
    return rows.map(toSinkEntry);
  }

  /**
   * Up to `limit` pending entries of one sink and ordering key with `fromId <= id <= toId`, oldest
   * first: the next events of one order once its current one is done.
   */
  pendingForKey(sink: string, orderingKey: string, fromId: number, toId: number, limit: number): OutboxEntry[] {
    const rows = this.selectPendingForKey.all(sink, fromId, toId, orderingKey, clampLimit(limit)) as SinkOutboxRow[];
    return rows.map(toSinkEntry);
  }

  /** The entry, while it is still pending (neither delivered nor dead). */
  findPending(id: number): OutboxEntry | undefined {
    const row = this.selectPendingById.get(id) as SinkOutboxRow | undefined;
    return row ? toSinkEntry(row) : undefined;
  }

  /**
   * Records a failed attempt (attempts + 1) and when to try again; the entry stays pending. False
   * when the entry is not pending (unknown, delivered or dead).
   */
  markRetry(id: number, at: number, error: string, nextAttemptAt: number): boolean {
    return this.retry.run({ id, at, error: truncateError(error), nextAttemptAt }).changes > 0;
  }

  /**
   * Records the final failed attempt (attempts + 1) and gives the entry up: it leaves the sink's
   * queue but is kept, for `listDead()` and `revive()`. False when the entry is not pending.
   */
  markDead(id: number, at: number, error: string): boolean {
    return this.dead.run({ id, at, error: truncateError(error) }).changes > 0;
  }

  /** Dead entries, most recently given up first; only `sink`'s when given. */
  listDead(limit: number, sink?: string): DeadOutboxEntry[] {
    const rows = (sink === undefined
      ? this.selectDead.all(clampLimit(limit))
      : this.selectDeadOfSink.all(sink, clampLimit(limit))) as DeadRow[];
    return rows.map(toDeadEntry);
  }

  /**
   * Puts a dead entry back in its sink's queue with a fresh count of attempts, due at once. False
   * when the entry is unknown or not dead. Kick the sink's relay afterwards.
   */
  revive(id: number): boolean {
    const revived = this.reviveStmt.run(id).changes > 0;
    if (revived) this.revived++;
    return revived;
  }

  /**
   * How many entries `revive()` has put back through this repository: a relay that sees the
   * number change reads its backlog again from the start, since revived entries lie behind it.
   */
  get revivals(): number {
    return this.revived;
  }

  /** Pending entries per sink (`{ mqtt: 3, 'webhook:https://…': 120 }`); sinks with none are absent. */
  countPendingBySink(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.countPendingBySinkStmt.all() as Array<{ sink: string; n: number }>) counts[row.sink] = row.n;
    return counts;
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

function toSinkEntry(row: SinkOutboxRow): OutboxEntry {
  const entry = toEntry(row);
  entry.sink = row.sink;
  if (row.idempotency_key !== null) entry.idempotencyKey = row.idempotency_key;
  if (row.next_attempt_at !== null) entry.nextAttemptAt = row.next_attempt_at;
  if (row.dead_at !== null) entry.deadAt = row.dead_at;
  return entry;
}

function toDeadEntry(row: DeadRow): DeadOutboxEntry {
  const entry: DeadOutboxEntry = {
    id: row.id, sink: row.sink, attempts: row.attempts, createdAt: row.created_at, deadAt: row.dead_at,
  };
  if (row.idempotency_key !== null) entry.idempotencyKey = row.idempotency_key;
  if (row.ordering_key !== null) entry.orderingKey = row.ordering_key;
  if (row.last_error !== null) entry.lastError = row.last_error;
  return entry;
}

function truncateError(error: string): string {
  return error.length > MAX_ERROR_LENGTH ? error.slice(0, MAX_ERROR_LENGTH) : error;
}

function clampLimit(limit: number): number {
  return Math.max(0, Math.trunc(limit));
}
