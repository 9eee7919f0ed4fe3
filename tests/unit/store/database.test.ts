import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, schemaVersion } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('openDatabase', () => {
  const dir = useTempDir('rw-db-');

  it('creates the parent directory and sets WAL, NORMAL, busy timeout and foreign keys', () => {
    const file = join(dir(), 'nested', 'deeper', 'riskwatch.db');
    const db = openDatabase(file);
    try {
      expect(existsSync(file)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    } finally {
      closeDatabase(db);
    }
  });

  it('applies migrations once: reopening keeps the version and the data', () => {
    const file = join(dir(), 'riskwatch.db');
    const first = openDatabase(file);
    first.prepare("INSERT INTO outbox (topic, payload, qos, created_at) VALUES ('t', 'p', 1, 1)").run();
    closeDatabase(first);

    const second = openDatabase(file);
    try {
      expect(schemaVersion(second)).toBe(MIGRATIONS.length);
      expect(second.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    } finally {
      closeDatabase(second);
    }
  });

  it('upgrades an existing database with a newer migration', () => {
    const file = join(dir(), 'riskwatch.db');
    closeDatabase(openDatabase(file));
    const next = [...MIGRATIONS, { description: 'test column', sql: 'ALTER TABLE alerts ADD COLUMN note TEXT;' }];
    const db = openDatabase(file, { migrations: next });
    try {
      expect(schemaVersion(db)).toBe(next.length);
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('alerts');
      expect(columns).toContain('note');
    } finally {
      closeDatabase(db);
    }
  });

  it('rolls back a failing migration together with its version bump', () => {
    const file = join(dir(), 'riskwatch.db');
    closeDatabase(openDatabase(file));
    const broken = [...MIGRATIONS, { description: 'half applied', sql: 'CREATE TABLE t1 (x); CREATE TABLE alerts (y);' }];
    expect(() => openDatabase(file, { migrations: broken })).toThrow(/already exists/);
    const db = openDatabase(file);
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't1'").pluck().get()).toBe(0);
    } finally {
      closeDatabase(db);
    }
  });

  it('refuses a database written by a newer schema version', () => {
    const file = join(dir(), 'riskwatch.db');
    const db = openDatabase(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    closeDatabase(db);
    expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('accepts :memory: for unit tests', () => {
    const db = openDatabase(':memory:');
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    closeDatabase(db);
    expect(db.open).toBe(false);
    closeDatabase(db); // idempotent
  });
});
