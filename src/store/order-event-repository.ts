import type { Statement } from 'better-sqlite3';
import type { NewOrderEvent, OrderEventLog, OrderEventRecord } from '../contracts/order-event.js';
import type { Database } from './database.js';

export type { NewOrderEvent, OrderEventRecord } from '../contracts/order-event.js';

interface OrderEventRow {
  id: number;
  order_id: string;
  version: number;
  type: string;
  at: number;
  payload: string;
}

/**
 * The order event log (`order_events`): every published order version in commit order. The SSE
 * stream replays it to a client resuming with `Last-Event-ID` (the row id), so ids must name one
 * event for good: the table is AUTOINCREMENT, and pruning never lets an id come back.
 *
 * Ids are also gap-free in commit order as long as nothing is pruned: a rolled-back transaction
 * rolls back its `sqlite_sequence` update too, so a stream never waits for an id that will not come.
 */
export class OrderEventRepository implements OrderEventLog {
  private readonly insert: Statement;
  private readonly selectAfter: Statement;
  private readonly selectLatestId: Statement;
  private readonly deleteOlder: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(
      'INSERT INTO order_events (order_id, version, type, at, payload) VALUES (@orderId, @version, @type, @at, @payload)');
    this.selectAfter = db.prepare(
      'SELECT id, order_id, version, type, at, payload FROM order_events WHERE id > ? ORDER BY id LIMIT ?');
    // sqlite_sequence rather than max(id): an id stays taken after its row is pruned.
    this.selectLatestId = db.prepare(
      "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'order_events'), 0)").pluck();
    // Events are appended in time order, so the old ones are a prefix of the id order: the scan for
    // the first event to keep reads only the rows about to be deleted (no index on `at` needed).
    this.deleteOlder = db.prepare(`
      DELETE FROM order_events WHERE id < coalesce(
        (SELECT id FROM order_events WHERE at >= ? ORDER BY id LIMIT 1),
        (SELECT max(id) + 1 FROM order_events))`);
  }

  /**
   * Logs one event and returns its id. Call it inside the transaction that saves the order version
   * it announces: the event is in the log exactly when the order state is durable.
   */
  append(event: NewOrderEvent): number {
    return Number(this.insert.run(event).lastInsertRowid);
  }

  /** Events with id > `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): OrderEventRecord[] {
    const rows = this.selectAfter.all(Math.trunc(afterId), Math.max(0, Math.trunc(limit))) as OrderEventRow[];
    return rows.map(toRecord);
  }

  /** The highest id ever assigned (0 for an empty log), even when that row has been pruned since. */
  latestId(): number {
    return this.selectLatestId.get() as number;
  }

  /** Deletes events logged before `at` (epoch ms); returns how many. Retention for the SSE history. */
  pruneOlderThan(at: number): number {
    return this.deleteOlder.run(at).changes;
  }
}

function toRecord(row: OrderEventRow): OrderEventRecord {
  return { id: row.id, orderId: row.order_id, version: row.version, type: row.type, at: row.at, payload: row.payload };
}
