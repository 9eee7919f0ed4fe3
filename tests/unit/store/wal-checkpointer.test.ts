import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { WalCheckpointer } from '../../../src/store/wal-checkpointer.js';
import { openStore } from '../../../src/store/store.js';
import { makeAlert } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('WalCheckpointer', () => {
  const dir = useTempDir('rw-ckpt-');

  it('copies committed WAL pages into the database file on a worker, and closes first so the writer removes the WAL', async () => {
    const file = join(dir(), 'rw.db');
    const db = openDatabase(file);
    const alerts = new AlertRepository(db);
    const checkpointer = new WalCheckpointer(db, { startAfterCommits: 1 });
    const sizeBefore = statSync(file).size;
    const write = db.transaction((from: number) => {
      for (let i = from; i < from + 200; i++) alerts.saveOpened(makeAlert({ id: `a${i}`, key: `k${i}` }));
    });
    write(0);
    checkpointer.committed();
    // The writer checkpoints by itself only past 4 000 pages now: this copy is the worker's.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4_000);
    await checkpointer.whenIdle();
    expect(checkpointer.completed).toBe(1);
    expect(statSync(file).size).toBeGreaterThan(sizeBefore);

    write(200);
    checkpointer.committed();
    checkpointer.close();
    closeDatabase(db);
    expect(existsSync(`${file}-wal`)).toBe(false); // the writer's connection was the last one
    const reopened = openDatabase(file);
    expect(new AlertRepository(reopened).list({ limit: 0 }).total).toBe(400);
    closeDatabase(reopened);
  });

  it('is started by a store only once it commits often, and stopped by its close', async () => {
    const store = openStore(dir());
    for (let i = 0; i < 80; i++) store.transaction(() => store.alerts.saveOpened(makeAlert({ id: `a${i}`, key: `k${i}` })));
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4_000); // a worker took over
    store.close();
    expect(existsSync(join(dir(), 'riskwatch.db-wal'))).toBe(false);
  });

  it('asks nothing of a store that commits rarely (no worker)', () => {
    const store = openStore(dir());
    store.transaction(() => store.alerts.saveOpened(makeAlert()));
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    store.close();
  });
});
