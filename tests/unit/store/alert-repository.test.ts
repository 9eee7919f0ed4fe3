import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alert.js';
import { AlertRepository } from '../../../src/store/alert-repository.js';
import { closeDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import { Store } from '../../../src/store/store.js';
import { T0, makeAlert } from '../../helpers/store-fixtures.js';

const MIN = 60_000;

describe('AlertRepository', () => {
  let db: Database;
  let repo: AlertRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    repo = new AlertRepository(db);
  });
  afterEach(() => closeDatabase(db));

  it('saves and reads back the whole alert, nested evidence and history included', () => {
    const alert = makeAlert();
    repo.save(alert);
    expect(repo.get(alert.id)).toEqual(alert);
    expect(repo.get('nope')).toBeUndefined();
  });

  it('upserts: a second save of the same id replaces the row and its indexed columns', () => {
    repo.save(makeAlert());
    const cleared = makeAlert({ status: 'cleared', level: 'yellow', clearedAt: T0 + MIN, updatedAt: T0 + MIN });
    repo.save(cleared);
    expect(repo.get('alert-1')).toEqual(cleared);
    expect(repo.list().total).toBe(1);
    expect(repo.list({ status: 'open' }).total).toBe(0);
    expect(repo.list({ level: 'yellow' }).items.map((a) => a.id)).toEqual(['alert-1']);
  });

  it('upserts a change of identity columns too (place, openedAt): the filters follow the new values', () => {
    repo.save(makeAlert());
    const moved = makeAlert({ placeId: 'bldg-9', gridId: 'grid-z9', communityId: undefined, openedAt: T0 + 5 * MIN });
    repo.save(moved);
    expect(repo.get('alert-1')).toEqual(moved);
    expect(repo.list({ place: 'grid-a1' }).total).toBe(0);
    expect(repo.list({ place: 'comm-a' }).total).toBe(0);
    expect(repo.list({ place: 'grid-z9' }).items).toEqual([moved]);
    expect(repo.list({ from: T0 + 5 * MIN }).total).toBe(1);
  });

  it('saveOpened inserts a new alert (and replaces a repeated id, as save does)', () => {
    const alert = makeAlert({ id: 'new' });
    repo.saveOpened(alert, JSON.stringify(alert));
    expect(repo.get('new')).toEqual(alert);
    const again = makeAlert({ id: 'new', level: 'red', placeId: 'grid-b1', gridId: 'grid-b1' });
    repo.saveOpened(again);
    expect(repo.get('new')).toEqual(again);
    expect(repo.list({ place: 'grid-a1' }).total).toBe(0);
    expect(repo.list({ place: 'grid-b1' }).total).toBe(1);
  });

  it('writes a place path again when the transaction that first wrote it rolled back', () => {
    const store = new Store(openDatabase(':memory:'));
    const at = (id: string) => makeAlert({ id, placeId: 'grid-q', gridId: 'grid-q', communityId: 'comm-q', streetId: 'street-q' });
    expect(() => store.transaction(() => {
      store.alerts.saveOpened(at('x1'));
      throw new Error('abort');
    })).toThrow('abort');
    store.transaction(() => store.alerts.saveOpened(at('x2')));
    store.transaction(() => store.alerts.saveOpened(at('x3')));
    expect(store.alerts.list({ place: 'comm-q' }).items.map((a) => a.id)).toEqual(['x3', 'x2']);
    expect(store.db.prepare('SELECT count(*) FROM alert_places').pluck().get()).toBe(1);
    store.close();
  });

  it('findOpen returns only open alerts, oldest first', () => {
    repo.save(makeAlert({ id: 'a2', openedAt: T0 + 2 * MIN }));
    repo.save(makeAlert({ id: 'a1', openedAt: T0 + MIN }));
    repo.save(makeAlert({ id: 'a3', openedAt: T0, status: 'cleared', clearedAt: T0 + 5 * MIN }));
    expect(repo.findOpen().map((a) => a.id)).toEqual(['a1', 'a2']);
  });

  describe('list', () => {
    // Two streets, each with a community and grids; ten minutes apart, a0 oldest.
    const fleet: Alert[] = [
      makeAlert({ id: 'a0', level: 'blue', status: 'cleared', scenarioId: 'gas-leak', placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x' }),
      makeAlert({ id: 'a1', level: 'yellow', scenarioId: 'gas-leak', placeId: 'grid-a2', gridId: 'grid-a2', communityId: 'comm-a', streetId: 'street-x' }),
      makeAlert({ id: 'a2', level: 'orange', scenarioId: 'elderly-no-water', placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b', streetId: 'street-x' }),
      makeAlert({ id: 'a3', level: 'red', scenarioId: 'gas-leak', placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y' }),
      makeAlert({ id: 'a4', level: 'red', status: 'cleared', scenarioId: 'smoke', placeId: 'bldg-7', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y' }),
      makeAlert({ id: 'a5', level: 'orange', scenarioId: 'smoke', placeId: 'comm-c', gridId: undefined, communityId: 'comm-c', streetId: 'street-y' }),
    ].map((a, i) => ({ ...a, openedAt: T0 + i * 10 * MIN, updatedAt: T0 + i * 10 * MIN }));
    const ids = (page: { items: Alert[] }) => page.items.map((a) => a.id);

    beforeEach(() => {
      // Saved out of order: the list order must come from openedAt, not insertion.
      for (const alert of [fleet[3], fleet[0], fleet[5], fleet[1], fleet[4], fleet[2]]) repo.save(alert);
    });

    it('without filters: everything, newest first, default limit 50', () => {
      const page = repo.list();
      expect(ids(page)).toEqual(['a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
      expect(page).toMatchObject({ total: 6, limit: 50, offset: 0 });
      expect(page.items[0]).toEqual(fleet[5]);
    });

    it('filters by one level or several', () => {
      expect(ids(repo.list({ level: 'red' }))).toEqual(['a4', 'a3']);
      expect(ids(repo.list({ level: ['blue', 'orange'] }))).toEqual(['a5', 'a2', 'a0']);
      expect(repo.list({ level: [] }).total).toBe(6); // an empty list is no filter
    });

    it('filters by status and by scenario', () => {
      expect(ids(repo.list({ status: 'cleared' }))).toEqual(['a4', 'a0']);
      expect(ids(repo.list({ scenario: 'gas-leak' }))).toEqual(['a3', 'a1', 'a0']);
      expect(ids(repo.list({ scenario: 'gas-leak', status: 'open' }))).toEqual(['a3', 'a1']);
      expect(repo.list({ scenario: 'unknown' })).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    });

    it('matches a place id at the place, grid, community or street level', () => {
      expect(ids(repo.list({ place: 'bldg-7' }))).toEqual(['a4']);
      expect(ids(repo.list({ place: 'grid-c1' }))).toEqual(['a4', 'a3']);
      expect(ids(repo.list({ place: 'comm-a' }))).toEqual(['a1', 'a0']);
      expect(ids(repo.list({ place: 'comm-c' }))).toEqual(['a5', 'a4', 'a3']);
      expect(ids(repo.list({ place: 'street-x' }))).toEqual(['a2', 'a1', 'a0']);
    });

    it('filters openedAt on the half-open range [from, to)', () => {
      expect(ids(repo.list({ from: T0 + 20 * MIN }))).toEqual(['a5', 'a4', 'a3', 'a2']);
      expect(ids(repo.list({ to: T0 + 20 * MIN }))).toEqual(['a1', 'a0']);
      expect(ids(repo.list({ from: T0 + 10 * MIN, to: T0 + 30 * MIN }))).toEqual(['a2', 'a1']);
    });

    it('combines every filter', () => {
      const page = repo.list({
        level: ['red', 'orange'], status: 'open', scenario: 'smoke', place: 'street-y', from: T0 + 45 * MIN, to: T0 + 60 * MIN,
      });
      expect(ids(page)).toEqual(['a5']);
    });

    it('pages with limit and offset, total counting all matches', () => {
      const first = repo.list({ limit: 4 });
      const second = repo.list({ limit: 4, offset: 4 });
      expect(ids(first)).toEqual(['a5', 'a4', 'a3', 'a2']);
      expect(ids(second)).toEqual(['a1', 'a0']);
      expect(first.total).toBe(6);
      expect(second).toMatchObject({ total: 6, limit: 4, offset: 4 });
      expect(repo.list({ offset: 10 })).toMatchObject({ items: [], total: 6 });
      expect(repo.list({ limit: 2, offset: 1, scenario: 'gas-leak' }).items.map((a) => a.id)).toEqual(['a1', 'a0']);
    });

    it('clamps limit to 0..500 and offset to ≥ 0', () => {
      expect(repo.list({ limit: 10_000 }).limit).toBe(500);
      expect(repo.list({ limit: -3 })).toMatchObject({ items: [], total: 6, limit: 0 });
      expect(repo.list({ offset: -5 }).offset).toBe(0);
    });

    it('breaks ties on openedAt by id, descending', () => {
      repo.save(makeAlert({ id: 'a6b', openedAt: T0 + 99 * MIN }));
      repo.save(makeAlert({ id: 'a6a', openedAt: T0 + 99 * MIN }));
      expect(ids(repo.list({ limit: 2 }))).toEqual(['a6b', 'a6a']);
    });
  });
});
