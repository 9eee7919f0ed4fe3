import type { Level } from './level.js';

/** Filters of `GET /api/stats`. Time range applies to when alerts opened / orders were created. */
export interface StatsQuery {
  scenario?: string;
  level?: Level | readonly Level[];
  /** A place id, matched at the order's place, grid, community or street. */
  place?: string;
  /** `from ≤ t < to` (epoch ms). */
  from?: number;
  to?: number;
  /** Also break the figures down by this dimension. */
  groupBy?: 'scenario' | 'level' | 'place' | 'grid' | 'community';
}

/** Distribution summary of a duration in ms; null when there is no sample. */
export interface DurationSummary {
  count: number;
  median: number | null;
  p90: number | null;
}

/** The closed-loop figures operators judge scenarios and tiers by. */
export interface StatsFigures {
  alerts: number;
  orders: number;
  /** Orders finished by handling: resolved or closed (办结). */
  closed: number;
  /** closed / orders (办结率); null without orders. */
  closureRate: number | null;
  /** Of orders resolved, the share resolved by their resolution deadline; null when none resolved. */
  onTimeRate: number | null;
  /** Created → accepted. */
  timeToAccept: DurationSummary;
  /** Created → resolved. */
  timeToResolve: DurationSummary;
  /** Orders that missed at least one deadline. */
  overdue: number;
  /** Orders handlers reported as false alarms. */
  falseAlarms: number;
  /** falseAlarms / orders with a handler's verdict (resolved, closed or false_alarm); null when none. */
  falseAlarmRate: number | null;
}

export interface StatsReport {
  query: StatsQuery;
  total: StatsFigures;
  /** Present when `groupBy` is set: one row per value, largest order count first. */
  groups?: Array<{ key: string } & StatsFigures>;
}
