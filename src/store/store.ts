import { join } from 'node:path';
import { AlertRepository } from './alert-repository.js';
import { closeDatabase, openDatabase, type Database } from './database.js';
import { OrderEventRepository } from './order-event-repository.js';
import { OrderRepository } from './order-repository.js';
import { ModelStateRepository } from './model-state-repository.js';
import { readStatsInput } from './order-stats-query.js';
import type { StatsInput, StatsQuery } from '../contracts/stats.js';
import { OutboxRepository } from './outbox-repository.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export const DEFAULT_DB_FILE = 'riskwatch.db';

/**
 * The durable store: one SQLite connection and the repositories over it.
 * Lifecycle: openStore(dir) → repositories / transaction()* → close(). Single writer: the engine
 * process owns the file; other processes may read it (WAL).
 */
export class Store {
  readonly alerts: AlertRepository;
  readonly orders: OrderRepository;
  readonly outbox: OutboxRepository;
  readonly modelStates: ModelStateRepository;
  readonly orderEvents: OrderEventRepository;
  /** One better-sqlite3 transaction wrapper, built once, that runs whatever function it is given. */
  private readonly runInTransaction: <T>(fn: () => T) => T;
  /** A file database checkpoints its WAL on a worker thread (see WalCheckpointer); `:memory:` has no WAL. */
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(readonly db: Database) {
    this.alerts = new AlertRepository(db);
    this.orders = new OrderRepository(db);
    this.outbox = new OutboxRepository(db);
    this.modelStates = new ModelStateRepository(db);
    this.orderEvents = new OrderEventRepository(db);
    this.runInTransaction = db.transaction((fn: () => unknown) => fn()) as <T>(fn: () => T) => T;
    this.checkpointer = db.memory ? undefined : new WalCheckpointer(db);
  }

  /**
   * Runs `fn` in one transaction: everything it writes commits together, or nothing does when it
   * throws. `fn` must be synchronous (better-sqlite3 rejects a returned promise); nested calls
   * become savepoints.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.runInTransaction(fn); // a savepoint: the outer one decides
    let committed = false;
    try {
      const result = this.runInTransaction(fn);
      committed = true;
      return result;
    } finally {
      this.alerts.transactionEnded(committed);
      if (committed) this.checkpointer?.committed();
    }
  }

  /** What the closed-loop statistics of `GET /api/stats` are computed from (reports/order-stats.ts). */
  statsInput(query: StatsQuery): StatsInput {
    return readStatsInput(this.db, query);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Closes the connection (idempotent). */
  close(): void {
    this.checkpointer?.close();
    closeDatabase(this.db);
  }

  /** After close(): resolves when the checkpoint thread has exited too (a stopped engine holds nothing). */
  async whenClosed(): Promise<void> {
    await this.checkpointer?.whenExited();
  }
}

/** Opens (creating the directory and schema if needed) `<dataDir>/<fileName>`. */
export function openStore(dataDir: string, fileName = DEFAULT_DB_FILE): Store {
  return new Store(openDatabase(join(dataDir, fileName)));
}
