import type { Level } from './level.js';
import type { OrderStatus } from './order.js';

/** Dimensions `GET /api/stats` can break its figures down by. */
export const STATS_GROUP_BY = ['scenario', 'level', 'place', 'grid', 'community'] as const;
export type StatsGroupBy = (typeof STATS_GROUP_BY)[number];

/** Filters of `GET /api/stats`. Time range applies to when alerts opened / orders were created. */
export interface StatsQuery {
  scenario?: string;
  level?: Level | readonly Level[];
  /** A place id, matched at the alert's / order's place, grid, community or street. */
  place?: string;
  /** `from ≤ t < to` (epoch ms). */
  from?: number;
  to?: number;
  /** Also break the figures down by this dimension. */
  groupBy?: StatsGroupBy;
}

/**
 * Distribution summary of a duration in ms; median and p90 are null when there is no sample.
 * Percentiles by the nearest-rank method: always a duration some order really took.
 */
export interface DurationSummary {
  count: number;
  median: number | null;
  p90: number | null;
}

/**
 * The closed-loop figures operators judge scenarios and tiers by.
 *
 * Every order is in exactly one of: `closed` (办结: the handler resolved it; a resolved order later
 * closed stays here), `falseAlarms` (the handler's verdict was "not a real risk", closed or not),
 * `cancelled` (the engine withdrew it before acceptance) or `open` (still being handled).
 */
export interface StatsFigures {
  alerts: number;
  orders: number;
  /** Orders finished by handling (办结): resolved, or closed after being resolved. */
  closed: number;
  /**
   * 办结率: closed / (orders − falseAlarms − cancelled), i.e. of the orders that were real work, the
   * share finished. False alarms and cancellations are finished but not 办结, and they are left out
   * of the base too, so that a noisy scenario shows in `falseAlarmRate` and not as slow handlers.
   * Null when no order was real work.
   */
  closureRate: number | null;
  /**
   * Of the closed orders, the share resolved by the resolution deadline they were promised: no
   * resolution deadline missed (no supervision for it) and resolvedAt ≤ resolutionDueAt. Null when
   * none was closed.
   */
  onTimeRate: number | null;
  /** Created → accepted, over the orders accepted so far. */
  timeToAccept: DurationSummary;
  /** Created → resolved, over the closed orders (a false alarm's verdict is not a resolution). */
  timeToResolve: DurationSummary;
  /** Orders that missed at least one deadline (overdueCount > 0). */
  overdue: number;
  /** Orders handlers reported as false alarms (still so after being closed). */
  falseAlarms: number;
  /** falseAlarms / orders with a handler's verdict (closed or false alarm); null when none. */
  falseAlarmRate: number | null;
  /** Orders withdrawn before acceptance because the alert was. */
  cancelled: number;
  /** Orders not finished yet. */
  open: number;
}

export interface StatsReport {
  /** The query as applied (levels always as a list). */
  query: StatsQuery;
  total: StatsFigures;
  /**
   * Present when `groupBy` is set: one row per value, most orders first (then most alerts, then
   * key). Alerts and orders without a grid (or community) form the group with key `""`.
   */
  groups?: Array<{ key: string } & StatsFigures>;
}

/** What statistics need to know about one order. */
export interface OrderStatsFacts {
  /** The order's value of the `groupBy` dimension; `''` without grouping or when it has none. */
  groupKey: string;
  status: OrderStatus;
  /**
   * The handler's verdict was "false alarm". Needed apart from `status` because a false alarm may
   * be closed afterwards and still was one.
   */
  falseAlarm: boolean;
  createdAt: number;
  acceptedAt: number | null;
  resolvedAt: number | null;
  /** The resolution deadline in force (it only moves after a miss, see `missedResolutionDeadline`). */
  resolutionDueAt: number | null;
  overdueCount: number;
  /** A resolution deadline was missed (a supervision entry for it exists). */
  missedResolutionDeadline: boolean;
}

/** The input of `computeOrderStats`: the filtered orders and the alert counts per group key. */
export interface StatsInput {
  orders: readonly OrderStatsFacts[];
  alertsByGroup: ReadonlyMap<string, number>;
}
