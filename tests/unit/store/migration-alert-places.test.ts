import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { alertPlaceFilter } from '../../../src/store/alert-place-filter.js';
import { readStatsInput } from '../../../src/store/order-stats-query.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { closeDatabase, openDatabase, schemaVersion, type Database } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { T0, makeAlert } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MIN = 60_000;

/** Alerts as schema version 3 stored them: the place columns, no place path. */
const legacyAlerts = [
  makeAlert({ id: 'old-1', placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x', openedAt: T0 }),
  makeAlert({ id: 'old-2', placeId: 'bldg-7', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x', openedAt: T0 + MIN }),
  makeAlert({ id: 'old-3', placeId: 'comm-b', gridId: undefined, communityId: 'comm-b', streetId: 'street-x', openedAt: T0 + 2 * MIN }),
  makeAlert({ id: 'old-4', placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y', openedAt: T0 + 3 * MIN }),
];

function insertLegacy(db: Database): void {
  const insert = db.prepare(`INSERT INTO alerts (id, scenario_id, key, level, status, opened_at, updated_at, place_id, grid_id, community_id, street_id, body)
    VALUES (@id, @scenarioId, @key, @level, @status, @openedAt, @updatedAt, @placeId, @gridId, @communityId, @streetId, @body)`);
  for (const a of legacyAlerts) {
    insert.run({ ...a, gridId: a.gridId ?? null, communityId: a.communityId ?? null, streetId: a.streetId ?? null, body: JSON.stringify(a) });
  }
}

const indexesOf = (db: Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[]);

describe('migration 4 (one place index on alerts) on a database of schema version 3', () => {
  const dir = useTempDir('rw-migrate4-');

  it('keeps every place filter matching at every level, for old and new alerts alike, with one place index', () => {
    const file = join(dir(), 'rw.db');
    const v3 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 3) });
    insertLegacy(v3);
    expect(indexesOf(v3)).toEqual(expect.arrayContaining(['alerts_community', 'alerts_grid', 'alerts_place', 'alerts_street']));
    closeDatabase(v3);

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(indexesOf(db)).toEqual(['alerts_level', 'alerts_opened', 'alerts_place_path', 'alerts_scenario', 'alerts_status']);
    const alerts = new AlertRepository(db);
    // A new alert under an old path, and one under a new path.
    alerts.saveOpened(makeAlert({ id: 'new-1', placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x', openedAt: T0 + 4 * MIN }));
    alerts.saveOpened(makeAlert({ id: 'new-2', placeId: 'grid-a9', gridId: 'grid-a9', communityId: 'comm-a', streetId: 'street-x', openedAt: T0 + 5 * MIN }));
    const ids = (place: string) => alerts.list({ place }).items.map((a) => a.id);
    expect(ids('grid-a1')).toEqual(['new-1', 'old-2', 'old-1']);
    expect(ids('bldg-7')).toEqual(['old-2']);
    expect(ids('comm-a')).toEqual(['new-2', 'new-1', 'old-2', 'old-1']);
    expect(ids('comm-b')).toEqual(['old-3']);
    expect(ids('street-x')).toEqual(['new-2', 'new-1', 'old-3', 'old-2', 'old-1']);
    expect(ids('street-y')).toEqual(['old-4']);
    expect(alerts.list({ place: 'grid-a1', from: T0 + MIN }).total).toBe(2);
    expect(alerts.get('old-2')).toEqual(legacyAlerts[1]);
    // One row per distinct path: the old rows' paths (written by SQL) and the new ones (by JSON.stringify) coincide.
    expect(db.prepare('SELECT count(*) FROM alert_places').pluck().get()).toBe(5);
    // The statistics' alert counts filter the same way.
    expect(readStatsInput(db, { place: 'comm-a', groupBy: 'place' }).alertsByGroup).toEqual(new Map([['grid-a1', 2], ['bldg-7', 1], ['grid-a9', 1]]));
    closeDatabase(db);
  });

  it('answers a place filter from the place index, not by scanning every alert', () => {
    const db = openDatabase(':memory:');
    const filter = alertPlaceFilter<{ place?: string }>('place', (q) => q.place);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT count(*) FROM alerts WHERE ${filter.where}`).all({ place: 'comm-a' }) as Array<{ detail: string }>)
      .map((row) => row.detail).join('\n');
    expect(plan).toContain('alerts_place_path');
    expect(plan).not.toMatch(/SCAN alerts\b(?! USING)/);
    closeDatabase(db);
  });
});
