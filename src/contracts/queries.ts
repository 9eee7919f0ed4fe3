import type { AlertStatus } from './alert.js';
import type { Level } from './level.js';
import type { OrderStatus } from './order.js';
import type { Tier } from './registry.js';

/** One page of a list, newest first, with the total number of matches for paging UIs. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Paging {
  /** Page size; default 50, at most 500. */
  limit?: number;
  offset?: number;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

/** Filters of `GET /api/alerts`. */
export interface AlertQuery extends Paging {
  /** One level or several (any of them matches). */
  level?: Level | readonly Level[];
  status?: AlertStatus | readonly AlertStatus[];
  /** Scenario id. */
  scenario?: string;
  /** A place id, matched at the alert's place, grid, community or street. */
  place?: string;
  /** `from ≤ openedAt < to` (epoch ms). */
  from?: number;
  to?: number;
}

/** Filters of `GET /api/orders`. */
export interface OrderQuery extends Paging {
  /** One level or several (any of them matches). */
  level?: Level | readonly Level[];
  status?: OrderStatus | readonly OrderStatus[];
  /** Scenario id. */
  scenario?: string;
  /** A place id, matched at the order's place, grid, community or street, or the assignee's place. */
  place?: string;
  tier?: Tier | readonly Tier[];
  /** `from ≤ createdAt < to` (epoch ms). */
  from?: number;
  to?: number;
}
