import type { Level } from '../contracts/level.js';
import type { DurationSummary, OrderStatsFacts, StatsFigures, StatsInput, StatsQuery, StatsReport } from '../contracts/stats.js';

export type { OrderStatsFacts, StatsInput } from '../contracts/stats.js';

/**
 * The closed-loop statistics of `GET /api/stats`, computed from the few facts per order that the
 * stats query (store/order-stats-query.ts) reads. `computeOrderStats` is pure (no database, no
 * clock); `buildOrderStats` is the two put together over a store.
 *
 * What each figure means is documented on `StatsFigures` (contracts/stats.ts); in short, every order
 * has one outcome — 办结 (closed), false alarm, cancelled or still open — and the rates are taken
 * over the orders for which they make sense.
 */

export type OrderOutcome = 'closed' | 'false_alarm' | 'cancelled' | 'open';

/**
 * 办结 means the handler resolved it: `resolved`, or `closed` after a resolution. A false alarm and
 * a cancellation are finished too, but nothing was handled to completion.
 */
export function outcomeOf(order: Pick<OrderStatsFacts, 'status' | 'falseAlarm'>): OrderOutcome {
  switch (order.status) {
    case 'false_alarm':
      return 'false_alarm';
    case 'closed':
      return order.falseAlarm ? 'false_alarm' : 'closed';
    case 'resolved':
      return 'closed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'open';
  }
}

/**
 * The p-quantile (0 < p ≤ 1) of ascending `sorted` by the nearest-rank method: the smallest sample
 * with at least p of the samples at or below it. Chosen over interpolation because the answer is
 * always a duration some order really took, and "p90 = 2 h" reads exactly as "90 % of orders were
 * accepted within 2 h". The median of an even count is therefore the lower middle sample.
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

export function summariseDurations(durations: readonly number[]): DurationSummary {
  // A typed array sorts numerically and about 10× faster than Array#sort with a comparator.
  const sorted = Float64Array.from(durations).sort();
  return { count: sorted.length, median: nearestRank(sorted, 0.5), p90: nearestRank(sorted, 0.9) };
}

class FiguresAccumulator {
  alerts = 0;
  orders = 0;
  closed = 0;
  falseAlarms = 0;
  cancelled = 0;
  open = 0;
  overdue = 0;
  onTime = 0;
  /** Closed orders whose punctuality is known (resolvedAt and a deadline recorded). */
  onTimeBase = 0;
  readonly toAccept: number[] = [];
  readonly toResolve: number[] = [];

  add(order: OrderStatsFacts): void {
    this.orders++;
    if (order.overdueCount > 0) this.overdue++;
    if (order.acceptedAt !== null) this.toAccept.push(order.acceptedAt - order.createdAt);
    switch (outcomeOf(order)) {
      case 'closed':
        this.closed++;
        if (order.resolvedAt !== null) {
          this.toResolve.push(order.resolvedAt - order.createdAt);
          if (order.resolutionDueAt !== null) {
            this.onTimeBase++;
            if (!order.missedResolutionDeadline && order.resolvedAt <= order.resolutionDueAt) this.onTime++;
          }
        }
        break;
      case 'false_alarm':
        this.falseAlarms++;
        break;
      case 'cancelled':
        this.cancelled++;
        break;
      case 'open':
        this.open++;
        break;
    }
  }

  figures(): StatsFigures {
    const realWork = this.orders - this.falseAlarms - this.cancelled;
    const verdicts = this.closed + this.falseAlarms;
    return {
      alerts: this.alerts,
      orders: this.orders,
      closed: this.closed,
      closureRate: ratio(this.closed, realWork),
      onTimeRate: ratio(this.onTime, this.onTimeBase),
      timeToAccept: summariseDurations(this.toAccept),
      timeToResolve: summariseDurations(this.toResolve),
      overdue: this.overdue,
      falseAlarms: this.falseAlarms,
      falseAlarmRate: ratio(this.falseAlarms, verdicts),
      cancelled: this.cancelled,
      open: this.open,
    };
  }
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The query as the report echoes it: only the filters given, levels always as a list. */
export function normaliseStatsQuery(query: StatsQuery): StatsQuery {
  const out: StatsQuery = {};
  if (query.scenario !== undefined) out.scenario = query.scenario;
  if (query.level !== undefined) {
    const levels: readonly Level[] = typeof query.level === 'string' ? [query.level] : query.level;
    if (levels.length > 0) out.level = [...levels];
  }
  if (query.place !== undefined) out.place = query.place;
  if (query.from !== undefined) out.from = query.from;
  if (query.to !== undefined) out.to = query.to;
  if (query.groupBy !== undefined) out.groupBy = query.groupBy;
  return out;
}

/**
 * The report for `query` over `input`, which the stats query has already filtered by it. With
 * `groupBy`, `groups` holds one row per key, most orders first, then most alerts, then by key.
 */
export function computeOrderStats(query: StatsQuery, input: StatsInput): StatsReport {
  const total = new FiguresAccumulator();
  const groups = new Map<string, FiguresAccumulator>();
  const groupOf = (key: string): FiguresAccumulator => {
    let acc = groups.get(key);
    if (!acc) {
      acc = new FiguresAccumulator();
      groups.set(key, acc);
    }
    return acc;
  };
  for (const [key, count] of input.alertsByGroup) {
    total.alerts += count;
    if (query.groupBy) groupOf(key).alerts += count;
  }
  for (const order of input.orders) {
    total.add(order);
    if (query.groupBy) groupOf(order.groupKey).add(order);
  }
  const report: StatsReport = { query: normaliseStatsQuery(query), total: total.figures() };
  if (query.groupBy) {
    report.groups = [...groups]
      .sort(([ka, a], [kb, b]) => b.orders - a.orders || b.alerts - a.alerts || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([key, acc]) => ({ key, ...acc.figures() }));
  }
  return report;
}

/** Where the facts come from: the store reads them for a query (`Store.statsInput`). */
export interface StatsSource {
  statsInput(query: StatsQuery): StatsInput;
}

/** The report for `query` over a store: its stats query, then `computeOrderStats`. */
export function buildOrderStats(source: StatsSource, query: StatsQuery): StatsReport {
  return computeOrderStats(query, source.statsInput(query));
}
