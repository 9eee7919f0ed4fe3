import type { Statement } from 'better-sqlite3';
import type { OrderStatus } from '../contracts/order.js';
import type { OrderStatsFacts, StatsGroupBy, StatsInput, StatsQuery } from '../contracts/stats.js';
import type { Database } from './database.js';
import { alertPlaceFilter } from './alert-place-filter.js';
import { anyColumnEquals, equals, oneOf, timeRange, type ListFilter } from './paged-list-query.js';

/**
 * Reads what `computeOrderStats` (reports/order-stats.ts) needs for `GET /api/stats`: one row of
 * facts per matching order and the alert count per group, both from indexed columns.
 *
 * The order body (JSON) is touched only where no column holds the fact, and only for the rows that
 * need it:
 * - a closed order's verdict (resolved, or a false alarm closed afterwards): `instr` on the body for
 *   `"status":"false_alarm"`, which JSON.stringify writes only as a real key and value (inside a
 *   string, such as a note, the quotes would be escaped), and which can only have been the final
 *   verdict (a false alarm can only be closed next);
 * - a missed resolution deadline: a `supervision` entry for it, looked up only for resolved or closed
 *   orders that missed some deadline (`overdue_count > 0`).
 */

/** The column each grouping reads; `''` collects rows without a grid or community. */
const GROUP_COLUMN: Record<StatsGroupBy | 'none', string> = {
  none: "''",
  scenario: 'scenario_id',
  level: 'level',
  place: 'place_id',
  grid: "coalesce(grid_id, '')",
  community: "coalesce(community_id, '')",
};

const PLACE_COLUMNS = ['place_id', 'grid_id', 'community_id', 'street_id'] as const;

function filtersOn(timeColumn: string, place: ListFilter<StatsQuery>): ListFilter<StatsQuery>[] {
  return [
    equals<StatsQuery>('scenario', 'scenario_id', (q) => q.scenario),
    oneOf<StatsQuery>('level', 'level', (q) => q.level),
    place,
    ...timeRange<StatsQuery>(timeColumn, (q) => q.from, (q) => q.to),
  ];
}

const ORDER_FILTERS = filtersOn('created_at', anyColumnEquals<StatsQuery>('place', PLACE_COLUMNS, (q) => q.place));
// Alerts keep one place index (migration 4): the same matches through alert_places.
const ALERT_FILTERS = filtersOn('opened_at', alertPlaceFilter<StatsQuery>('place', (q) => q.place));

// Column order = OrderFactsRow. Rows come back as arrays (`raw()`): measurably cheaper than objects
// with named keys when a report reads 100 000 of them.
const ORDER_FACTS = `
  status, created_at, accepted_at, resolved_at, resolution_due_at, overdue_count,
  CASE status
    WHEN 'false_alarm' THEN 1
    WHEN 'closed' THEN instr(body, '"status":"false_alarm"') > 0
    ELSE 0
  END,
  CASE WHEN overdue_count > 0 AND status IN ('resolved', 'closed')
    THEN EXISTS (SELECT 1 FROM json_each(body, '$.supervision') WHERE json_extract(value, '$.deadline') = 'resolution')
    ELSE 0
  END`;

/** A row of ORDER_FACTS as `raw()` returns it: the columns in their SELECT order. */
type OrderFactsRow = [
  groupKey: string, status: OrderStatus, createdAt: number, acceptedAt: number | null, resolvedAt: number | null,
  resolutionDueAt: number | null, overdueCount: number, falseAlarm: 0 | 1, missedResolutionDeadline: 0 | 1,
];

interface Prepared {
  orders: Statement;
  alerts: Statement;
}

interface Cache {
  /** Per (filters present, grouping): at most 2^5 × 6 statements, each prepared on first use. */
  statements: Map<string, Prepared>;
  read: (query: StatsQuery) => StatsInput;
}

// Keyed by connection so a function over `store.db` needs no object of its own to hold statements.
const caches = new WeakMap<Database, Cache>();

/** The statistics input for `query`: orders by `created_at`, alerts by `opened_at`, same filters. */
export function readStatsInput(db: Database, query: StatsQuery): StatsInput {
  let cache = caches.get(db);
  if (!cache) {
    const statements = new Map<string, Prepared>();
    // Orders and alerts from one read transaction: one snapshot, whoever else writes the file.
    const read = db.transaction((q: StatsQuery) => readNow(db, statements, q));
    cache = { statements, read };
    caches.set(db, cache);
  }
  return cache.read(query);
}

function readNow(db: Database, statements: Map<string, Prepared>, query: StatsQuery): StatsInput {
  const params: Record<string, string | number> = {};
  let shape = 0;
  // Both filter lists have the same names in the same order: one shape describes both.
  ORDER_FILTERS.forEach((filter, i) => {
    const value = filter.value(query);
    if (value === undefined) return;
    shape |= 1 << i;
    params[filter.name] = value;
  });
  const grouping = query.groupBy ?? 'none';
  const key = `${shape}:${grouping}`;
  let prepared = statements.get(key);
  if (!prepared) {
    const group = GROUP_COLUMN[grouping];
    prepared = {
      orders: db.prepare(`SELECT ${group}, ${ORDER_FACTS} FROM orders${where(ORDER_FILTERS, shape)}`).raw(),
      alerts: db.prepare(`SELECT ${group}, count(*) FROM alerts${where(ALERT_FILTERS, shape)} GROUP BY 1`).raw(),
    };
    statements.set(key, prepared);
  }
  const orders: OrderStatsFacts[] = [];
  // iterate(): no intermediate array of 100 000 row arrays.
  for (const row of prepared.orders.iterate(params) as IterableIterator<OrderFactsRow>) orders.push(toFacts(row));
  const alertsByGroup = new Map<string, number>();
  for (const [group, n] of prepared.alerts.all(params) as Array<[string, number]>) alertsByGroup.set(group, n);
  return { orders, alertsByGroup };
}

function toFacts(row: OrderFactsRow): OrderStatsFacts {
  return {
    groupKey: row[0], status: row[1], createdAt: row[2], acceptedAt: row[3], resolvedAt: row[4], resolutionDueAt: row[5],
    // SQLite answers booleans as 0/1.
    overdueCount: row[6], falseAlarm: row[7] === 1, missedResolutionDeadline: row[8] === 1,
  };
}

function where(filters: readonly ListFilter<StatsQuery>[], shape: number): string {
  const conditions = filters.filter((_, i) => (shape & (1 << i)) !== 0).map((f) => `(${f.where})`);
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}
