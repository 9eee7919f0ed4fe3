import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alert.js';
import type { Level } from '../../../src/contracts/level.js';
import type { DispatchOrder, OrderHistoryEntry, SupervisionEntry } from '../../../src/contracts/order.js';
import type { StatsFigures, StatsQuery } from '../../../src/contracts/stats.js';
import { buildOrderStats, nearestRank, outcomeOf } from '../../../src/reports/order-stats.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MIN = 60_000;
const H = 3_600_000;
const T = Date.UTC(2026, 8, 1, 0, 0);

interface Where {
  grid?: string;
  community: string;
  street: string;
}
const G1: Where = { grid: 'g1', community: 'c1', street: 's1' };
const G2: Where = { grid: 'g2', community: 'c1', street: 's1' };
const G3: Where = { grid: 'g3', community: 'c2', street: 's2' };
const C2: Where = { community: 'c2', street: 's2' }; // a device registered under the community: no grid

function places(w: Where) {
  const p: Pick<Alert, 'placeId' | 'communityId' | 'streetId'> & { gridId?: string } = {
    placeId: w.grid ?? w.community, communityId: w.community, streetId: w.street,
  };
  if (w.grid) p.gridId = w.grid;
  return p;
}

function alert(id: string, scenarioId: string, level: Level, w: Where, openedAt: number): Alert {
  const a = makeAlert({ id, scenarioId, level, peakLevel: level, openedAt, updatedAt: openedAt, ...places(w) });
  if (!w.grid) delete a.gridId;
  return a;
}

function order(id: string, a: Alert, createdAt: number, overrides: Partial<DispatchOrder>): DispatchOrder {
  const o = makeOrder({
    id, alertId: a.id, scenarioId: a.scenarioId, level: a.level, createdAt, updatedAt: createdAt,
    placeId: a.placeId, communityId: a.communityId, streetId: a.streetId,
    responseDueAt: createdAt + 2 * H, resolutionDueAt: createdAt + 24 * H,
    ...overrides,
  });
  if (a.gridId) o.gridId = a.gridId;
  else delete o.gridId;
  return o;
}

const status = (at: number, s: OrderHistoryEntry['status'], note?: string): OrderHistoryEntry =>
  note === undefined ? { at, type: 'status', status: s } : { at, type: 'status', status: s, note };

const missed = (kind: SupervisionEntry['deadline'], dueAt: number): SupervisionEntry =>
  ({ at: dueAt, deadline: kind, dueAt, from: 'grid', to: 'community', priority: 3, nextDueAt: dueAt + 24 * H });

/*
 * The seeded set, with each order's outcome:
 *   o1 gas   yellow g1  T       closed after resolving: accepted 1 h, resolved 5 h, on time
 *   o2 gas   orange g1  T+1h    resolved 30 h: within the deadline in force (48 h) but the first one
 *                               (24 h) was missed → late; overdue
 *   o3 water yellow g2  T+2h    false alarm (accepted 2 h)
 *   o4 water red    g3  T+3h    false alarm, then closed (accepted 10 min)
 *   o5 gas   red    g3  T+4h    in progress (accepted 20 min), missed its response deadline → overdue
 *   o6 gas   yellow c2  T+6h    cancelled (no grid)
 *   o7 water yellow g1  T+30d   resolved 8 h, on time although the response deadline was missed → overdue
 *   o8 gas   yellow g1  T+12h   dispatched, nobody yet (a second order of a1's alert)
 * Alerts: a1..a5, a7, a8 as above, plus a6 (water, blue, g2, T+5h) which dispatched nothing.
 */
const a1 = alert('a1', 'gas', 'yellow', G1, T);
const a2 = alert('a2', 'gas', 'orange', G1, T + H);
const a3 = alert('a3', 'water', 'yellow', G2, T + 2 * H);
const a4 = alert('a4', 'water', 'red', G3, T + 3 * H);
const a5 = alert('a5', 'gas', 'red', G3, T + 4 * H);
const a6 = alert('a6', 'water', 'blue', G2, T + 5 * H);
const a7 = alert('a7', 'gas', 'yellow', C2, T + 6 * H);
const a8 = alert('a8', 'water', 'yellow', G1, T + 30 * 24 * H);
const ALERTS = [a1, a2, a3, a4, a5, a6, a7, a8];

const ORDERS: DispatchOrder[] = [
  order('o1', a1, T, {
    status: 'closed', acceptedAt: T + H, resolvedAt: T + 5 * H, closedAt: T + 6 * H,
    history: [
      { at: T, type: 'created', status: 'dispatched', tier: 'grid', level: 'yellow' },
      status(T + H, 'accepted'),
      // The words of a note are escaped in the body: they must not read as a false alarm.
      status(T + 5 * H, 'resolved', 'not "status":"false_alarm" — a real leak, fixed'),
      status(T + 6 * H, 'closed'),
    ],
  }),
  order('o2', a2, T + H, {
    status: 'resolved', acceptedAt: T + H + 30 * MIN, resolvedAt: T + 31 * H,
    resolutionDueAt: T + 49 * H, overdueCount: 1, supervision: [missed('resolution', T + 25 * H)],
  }),
  order('o3', a3, T + 2 * H, {
    status: 'false_alarm', acceptedAt: T + 4 * H, resolvedAt: T + 5 * H,
    history: [{ at: T + 2 * H, type: 'created', status: 'dispatched' }, status(T + 4 * H, 'accepted'), status(T + 5 * H, 'false_alarm', 'resident away')],
  }),
  order('o4', a4, T + 3 * H, {
    status: 'closed', acceptedAt: T + 3 * H + 10 * MIN, resolvedAt: T + 4 * H, closedAt: T + 5 * H,
    history: [
      { at: T + 3 * H, type: 'created', status: 'dispatched' },
      status(T + 3 * H + 10 * MIN, 'accepted'), status(T + 4 * H, 'false_alarm', 'cooking smoke'), status(T + 5 * H, 'closed'),
    ],
  }),
  order('o5', a5, T + 4 * H, {
    status: 'in_progress', acceptedAt: T + 4 * H + 20 * MIN, overdueCount: 1, supervision: [missed('response', T + 4 * H + 15 * MIN)],
  }),
  order('o6', a7, T + 6 * H, { status: 'cancelled' }),
  order('o7', a8, T + 30 * 24 * H, {
    status: 'resolved', acceptedAt: T + 30 * 24 * H + 4 * H, resolvedAt: T + 30 * 24 * H + 8 * H,
    resolutionDueAt: T + 30 * 24 * H + 72 * H, overdueCount: 1, supervision: [missed('response', T + 30 * 24 * H + 2 * H)],
  }),
  order('o8', a1, T + 12 * H, { status: 'dispatched' }),
];

const NO_DURATIONS = { count: 0, median: null, p90: null };

describe('closed-loop statistics over a real SQLite file', () => {
  const dir = useTempDir('rw-stats-');

  function seeded(): Store {
    const store = openStore(dir());
    store.transaction(() => {
      for (const a of ALERTS) store.alerts.save(a);
      for (const o of ORDERS) store.orders.save(o);
    });
    return store;
  }

  function stats(query: StatsQuery) {
    const store = seeded();
    try {
      return buildOrderStats(store, query);
    } finally {
      store.close();
    }
  }

  it('computes every figure of the whole set (hand-computed)', () => {
    const report = stats({});
    expect(report.query).toEqual({});
    expect(report.groups).toBeUndefined();
    expect(report.total).toEqual({
      alerts: 8,
      orders: 8,
      closed: 3, // o1, o2, o7
      closureRate: 3 / 5, // of the 8, o3 and o4 were false alarms and o6 cancelled
      onTimeRate: 2 / 3, // o1 and o7; o2 missed its first resolution deadline
      // accepted after 10 min, 20 min, 30 min, 1 h, 2 h, 4 h: ranks ⌈0.5·6⌉ = 3 and ⌈0.9·6⌉ = 6
      timeToAccept: { count: 6, median: 30 * MIN, p90: 4 * H },
      // resolved after 5 h, 8 h, 30 h: ranks 2 and 3
      timeToResolve: { count: 3, median: 8 * H, p90: 30 * H },
      overdue: 3, // o2, o5, o7
      falseAlarms: 2, // o3, and o4 although closed since
      falseAlarmRate: 2 / 5,
      cancelled: 1,
      open: 2, // o5, o8
    } satisfies StatsFigures);
  });

  it('groups by scenario, most orders first, each group with its own figures', () => {
    const report = stats({ groupBy: 'scenario' });
    expect(report.total.orders).toBe(8);
    expect(report.groups).toEqual([
      {
        key: 'gas', alerts: 4, orders: 5, closed: 2, closureRate: 2 / 4, onTimeRate: 1 / 2,
        timeToAccept: { count: 3, median: 30 * MIN, p90: H }, timeToResolve: { count: 2, median: 5 * H, p90: 30 * H },
        overdue: 2, falseAlarms: 0, falseAlarmRate: 0, cancelled: 1, open: 2,
      },
      {
        key: 'water', alerts: 4, orders: 3, closed: 1, closureRate: 1, onTimeRate: 1,
        timeToAccept: { count: 3, median: 2 * H, p90: 4 * H }, timeToResolve: { count: 1, median: 8 * H, p90: 8 * H },
        overdue: 1, falseAlarms: 2, falseAlarmRate: 2 / 3, cancelled: 0, open: 0,
      },
    ]);
  });

  it('groups by grid, with the orders and alerts of no grid under ""', () => {
    const groups = stats({ groupBy: 'grid' }).groups!;
    expect(groups.map((g) => [g.key, g.orders, g.alerts])).toEqual([
      ['g1', 4, 3],
      ['g3', 2, 2],
      ['g2', 1, 2], // ties on orders: more alerts first
      ['', 1, 1],
    ]);
    expect(groups[0]).toMatchObject({ closed: 3, closureRate: 3 / 4, onTimeRate: 2 / 3, open: 1 });
  });

  it('groups by level, place and community', () => {
    expect(stats({ groupBy: 'level' }).groups!.map((g) => [g.key, g.orders, g.alerts])).toEqual([
      ['yellow', 5, 4], ['red', 2, 2], ['orange', 1, 1], ['blue', 0, 1],
    ]);
    expect(stats({ groupBy: 'community' }).groups!.map((g) => [g.key, g.orders, g.alerts])).toEqual([
      ['c1', 5, 5], ['c2', 3, 3],
    ]);
    expect(stats({ groupBy: 'place' }).groups!.map((g) => [g.key, g.orders])).toEqual([
      ['g1', 4], ['g3', 2], ['g2', 1], ['c2', 1],
    ]);
  });

  it('filters by scenario', () => {
    const { total } = stats({ scenario: 'water' });
    expect(total).toMatchObject({ alerts: 4, orders: 3, closed: 1, falseAlarms: 2, closureRate: 1, falseAlarmRate: 2 / 3 });
  });

  it('filters by one level or several', () => {
    expect(stats({ level: 'orange' }).total).toMatchObject({ alerts: 1, orders: 1, closed: 1, onTimeRate: 0, overdue: 1 });
    const several = stats({ level: ['yellow', 'red'] });
    expect(several.query.level).toEqual(['yellow', 'red']);
    expect(several.total).toMatchObject({ alerts: 6, orders: 7, closed: 2, falseAlarms: 2, cancelled: 1, open: 2 });
  });

  it('filters by place at any tier: grid, community or street', () => {
    expect(stats({ place: 'g1' }).total).toMatchObject({ alerts: 3, orders: 4 });
    expect(stats({ place: 'c2' }).total).toMatchObject({ alerts: 3, orders: 3, falseAlarms: 1, cancelled: 1, open: 1 });
    expect(stats({ place: 's2' }).total).toMatchObject({ alerts: 3, orders: 3 });
    expect(stats({ place: 's1' }).total).toMatchObject({ alerts: 5, orders: 5 });
  });

  it('filters by a half-open time range on when alerts opened and orders were created', () => {
    const { total } = stats({ from: T + H, to: T + 4 * H });
    // o2, o3, o4 (o5 at exactly T+4h is outside); alerts a2, a3, a4
    expect(total).toMatchObject({ alerts: 3, orders: 3, closed: 1, falseAlarms: 2, closureRate: 1, onTimeRate: 0 });
    expect(stats({ from: T + 24 * H }).total).toMatchObject({ alerts: 1, orders: 1, onTimeRate: 1 });
  });

  it('combines filters', () => {
    const report = stats({ scenario: 'gas', level: ['red'], place: 's2', groupBy: 'grid' });
    expect(report.total).toMatchObject({ alerts: 1, orders: 1, open: 1, overdue: 1, closureRate: 0 });
    expect(report.groups!.map((g) => g.key)).toEqual(['g3']);
  });

  it('answers an empty set with zero counts and null rates and durations', () => {
    const report = stats({ scenario: 'no-such-scenario', groupBy: 'scenario' });
    expect(report.total).toEqual({
      alerts: 0, orders: 0, closed: 0, closureRate: null, onTimeRate: null,
      timeToAccept: NO_DURATIONS, timeToResolve: NO_DURATIONS,
      overdue: 0, falseAlarms: 0, falseAlarmRate: null, cancelled: 0, open: 0,
    });
    expect(report.groups).toEqual([]);
  });

  it('reads an empty database', () => {
    const store = openStore(dir());
    try {
      expect(buildOrderStats(store, {}).total).toMatchObject({ alerts: 0, orders: 0, closureRate: null });
    } finally {
      store.close();
    }
  });
});

describe('nearestRank', () => {
  it('returns a sample, the smallest with at least p of the samples at or below it', () => {
    expect(nearestRank([], 0.5)).toBeNull();
    expect(nearestRank([7], 0.9)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2); // even count: the lower middle
    expect(nearestRank([1, 2, 3, 4, 5], 0.5)).toBe(3);
    const tens = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(nearestRank(tens, 0.9)).toBe(9);
    expect(nearestRank([...tens, 11], 0.9)).toBe(10);
  });
});

describe('outcomeOf', () => {
  it('counts resolved (closed or not) as 办结, and a false alarm as one even after closing', () => {
    expect(outcomeOf({ status: 'resolved', falseAlarm: false })).toBe('closed');
    expect(outcomeOf({ status: 'closed', falseAlarm: false })).toBe('closed');
    expect(outcomeOf({ status: 'closed', falseAlarm: true })).toBe('false_alarm');
    expect(outcomeOf({ status: 'false_alarm', falseAlarm: true })).toBe('false_alarm');
    expect(outcomeOf({ status: 'cancelled', falseAlarm: false })).toBe('cancelled');
    for (const s of ['created', 'dispatched', 'escalated', 'rejected', 'accepted', 'in_progress'] as const) {
      expect(outcomeOf({ status: s, falseAlarm: false })).toBe('open');
    }
  });
});
