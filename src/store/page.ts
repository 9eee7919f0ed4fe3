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

/**
 * Fills in defaults and clamps into range (`0 ≤ limit ≤ 500`, `offset ≥ 0`). The API rejects
 * out-of-range values before they get here; the store clamps so no caller can ask for a million rows.
 */
export function normalizePaging(paging: Paging): { limit: number; offset: number } {
  const limit = paging.limit === undefined || !Number.isFinite(paging.limit)
    ? DEFAULT_PAGE_LIMIT
    : Math.min(MAX_PAGE_LIMIT, Math.max(0, Math.trunc(paging.limit)));
  const offset = paging.offset === undefined || !Number.isFinite(paging.offset)
    ? 0
    : Math.max(0, Math.trunc(paging.offset));
  return { limit, offset };
}
