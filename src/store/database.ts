import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ERR_CONFIG_INVALID } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  /** How long a writer waits for a lock held by another connection (ms) before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Migrations to apply; tests may pass a longer list to exercise an upgrade. */
  migrations?: readonly Migration[];
}

const IN_MEMORY = ':memory:';

/**
 * Opens (and creates or upgrades) the riskwatch database. `:memory:` is accepted for unit tests;
 * anything about durability must be tested on a real file.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const migrations = options.migrations ?? MIGRATIONS;
  if (file !== IN_MEMORY && file !== '') mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  try {
    // WAL: readers (the API) never block the writer (the engine) and a commit is one append to the
    // log instead of a rewrite of the pages in place.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (file !== IN_MEMORY && file !== '' && mode !== 'wal') {
      // e.g. a network file system without shared memory: the durability promise would not hold.
      throw ERR_CONFIG_INVALID(`data file ${file} cannot use WAL (journal_mode is ${String(mode)})`);
    }
    // In WAL mode, NORMAL syncs the log only at checkpoints, not at every commit. A commit still
    // reaches the operating system (page cache) before `COMMIT` returns, so killing the process
    // (kill -9, OOM killer, crash) loses nothing committed; only a power loss or kernel crash may
    // roll back the last few transactions, and the database stays consistent even then.
    // (https://www.sqlite.org/pragma.html#pragma_synchronous: "WAL mode is always consistent with
    // synchronous=NORMAL, but WAL mode does lose durability" — durability against power loss only.)
    // FULL would cost one fsync per commit, i.e. per alert, for that last case.
    db.pragma('synchronous = NORMAL');
    // A storm can grow the log to hundreds of MB before a checkpoint catches up with it; when the
    // log starts over, cut the file back to 64 MB instead of keeping it at its high-water mark.
    db.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The schema version of an open database (`PRAGMA user_version`). */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than `user_version`, each in its own transaction together with
 * the version bump, so a crash mid-upgrade leaves the previous version intact.
 */
function migrate(db: Database, migrations: readonly Migration[]): void {
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    // Written by a newer riskwatch: running on would misread rows this version does not know.
    throw ERR_CONFIG_INVALID(`database schema version ${current} is newer than this riskwatch supports (${latest})`);
  }
  for (let version = current + 1; version <= latest; version++) {
    const migration = migrations[version - 1];
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${version}`);
    })();
  }
}

/** Closes the database; the last connection to close checkpoints the WAL into the main file. */
export function closeDatabase(db: Database): void {
  if (!db.open) return;
  // Recommended before closing a long-lived connection: refreshes planner statistics cheaply.
  // (https://www.sqlite.org/pragma.html#pragma_optimize)
  if (!db.readonly) db.pragma('optimize');
  db.close();
}
