import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { closeDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { T0, makeOrder } from '../../helpers/store-fixtures.js';

const MIN = 60_000;
const ids = (page: { items: DispatchOrder[] }) => page.items.map((o) => o.id);

describe('OrderRepository', () => {
  let db: Database;
  let repo: OrderRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    repo = new OrderRepository(db);
  });
  afterEach(() => closeDatabase(db));

  it('saves and reads back the whole order, contact data and history included', () => {
    const order = makeOrder();
    repo.save(order);
    expect(repo.get(order.id)).toEqual(order);
    expect(repo.get(order.id)?.subject?.contact?.phone).toBe('13900000002');
    expect(repo.get('nope')).toBeUndefined();
  });

  it('upserts: a new version replaces the row', () => {
    repo.save(makeOrder());
    const accepted = makeOrder({
      status: 'accepted', version: 2, updatedAt: T0 + MIN,
      history: [...makeOrder().history, { at: T0 + MIN, type: 'status', status: 'accepted', by: 'grid-a1-duty' }],
    });
    repo.save(accepted);
    expect(repo.get('order-1')).toEqual(accepted);
    expect(repo.list({ status: 'dispatched' }).total).toBe(0);
    expect(ids(repo.list({ status: 'accepted' }))).toEqual(['order-1']);
  });

  it('upserts an escalation (tier and assignee change) and a change of createdAt or place', () => {
    repo.save(makeOrder());
    const escalated = makeOrder({
      tier: 'street', level: 'red', status: 'escalated', version: 2, updatedAt: T0 + MIN,
      assignee: { tier: 'street', placeId: 'street-q', placeName: 'Q' },
    });
    repo.save(escalated);
    expect(repo.get('order-1')).toEqual(escalated);
    expect(ids(repo.list({ tier: 'street', level: 'red', place: 'street-q' }))).toEqual(['order-1']);
    expect(repo.list({ tier: 'community' }).total).toBe(0);

    const moved = makeOrder({ ...escalated, createdAt: T0 + 9 * MIN, placeId: 'grid-k', gridId: 'grid-k', communityId: undefined, streetId: undefined });
    repo.save(moved);
    expect(repo.get('order-1')).toEqual(moved);
    expect(repo.list({ place: 'comm-a' }).total).toBe(0);
    expect(ids(repo.list({ place: 'grid-k', from: T0 + 9 * MIN }))).toEqual(['order-1']);
  });

  it('findByAlert returns the most recently created order of the alert', () => {
    repo.save(makeOrder({ id: 'o-old', alertId: 'alert-9', createdAt: T0 }));
    repo.save(makeOrder({ id: 'o-new', alertId: 'alert-9', createdAt: T0 + MIN }));
    repo.save(makeOrder({ id: 'o-other', alertId: 'alert-8', createdAt: T0 + 2 * MIN }));
    expect(repo.findByAlert('alert-9')?.id).toBe('o-new');
    expect(repo.findByAlert('alert-8')?.id).toBe('o-other');
    expect(repo.findByAlert('alert-7')).toBeUndefined();
    // Same millisecond: the order saved later is the latest.
    repo.save(makeOrder({ id: 'o-a', alertId: 'alert-6', createdAt: T0 }));
    repo.save(makeOrder({ id: 'o-0', alertId: 'alert-6', createdAt: T0 }));
    expect(repo.findByAlert('alert-6')?.id).toBe('o-0');
  });

  describe('list', () => {
    const orders: DispatchOrder[] = [
      makeOrder({ id: 'o0', level: 'blue', status: 'closed', tier: 'grid', scenarioId: 'gas-leak',
        placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x',
        assignee: { tier: 'grid', placeId: 'grid-a1', placeName: 'A1' } }),
      makeOrder({ id: 'o1', level: 'yellow', status: 'dispatched', tier: 'grid', scenarioId: 'gas-leak',
        placeId: 'grid-a2', gridId: 'grid-a2', communityId: 'comm-a', streetId: 'street-x',
        assignee: { tier: 'grid', placeId: 'grid-a2', placeName: 'A2' } }),
      makeOrder({ id: 'o2', level: 'orange', status: 'accepted', tier: 'community', scenarioId: 'elderly-no-water',
        placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b', streetId: 'street-x',
        assignee: { tier: 'community', placeId: 'comm-b', placeName: 'B' } }),
      // Escalated to the street office of a neighbouring street: found by the assignee's place too.
      makeOrder({ id: 'o3', level: 'red', status: 'escalated', tier: 'street', scenarioId: 'smoke',
        placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y',
        assignee: { tier: 'street', placeId: 'street-z', placeName: 'Z' } }),
    ].map((o, i) => ({ ...o, createdAt: T0 + i * 10 * MIN, updatedAt: T0 + i * 10 * MIN }));

    beforeEach(() => {
      for (const order of [orders[2], orders[0], orders[3], orders[1]]) repo.save(order);
    });

    it('without filters: everything newest first', () => {
      const page = repo.list();
      expect(ids(page)).toEqual(['o3', 'o2', 'o1', 'o0']);
      expect(page).toMatchObject({ total: 4, limit: 50, offset: 0 });
      expect(page.items[0]).toEqual(orders[3]);
    });

    it('filters by level, status, scenario and tier (one value or several)', () => {
      expect(ids(repo.list({ level: 'red' }))).toEqual(['o3']);
      expect(ids(repo.list({ level: ['yellow', 'orange'] }))).toEqual(['o2', 'o1']);
      expect(ids(repo.list({ status: ['dispatched', 'accepted'] }))).toEqual(['o2', 'o1']);
      expect(ids(repo.list({ status: 'closed' }))).toEqual(['o0']);
      expect(ids(repo.list({ scenario: 'gas-leak' }))).toEqual(['o1', 'o0']);
      expect(ids(repo.list({ tier: 'grid' }))).toEqual(['o1', 'o0']);
      expect(ids(repo.list({ tier: ['community', 'street'] }))).toEqual(['o3', 'o2']);
    });

    it('matches a place at the order place, grid, community, street or the assignee place', () => {
      expect(ids(repo.list({ place: 'grid-a2' }))).toEqual(['o1']);
      expect(ids(repo.list({ place: 'comm-a' }))).toEqual(['o1', 'o0']);
      expect(ids(repo.list({ place: 'comm-b' }))).toEqual(['o2']);
      expect(ids(repo.list({ place: 'street-x' }))).toEqual(['o2', 'o1', 'o0']);
      expect(ids(repo.list({ place: 'street-z' }))).toEqual(['o3']);
    });

    it('filters createdAt on [from, to) and pages', () => {
      expect(ids(repo.list({ from: T0 + 10 * MIN, to: T0 + 30 * MIN }))).toEqual(['o2', 'o1']);
      const page = repo.list({ limit: 1, offset: 1, tier: 'grid' });
      expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(ids(page)).toEqual(['o0']);
    });

    it('combines filters', () => {
      expect(ids(repo.list({ level: ['yellow', 'blue'], status: 'dispatched', tier: 'grid', place: 'street-x', scenario: 'gas-leak' })))
        .toEqual(['o1']);
    });
  });
});
