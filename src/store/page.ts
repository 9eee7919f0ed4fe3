import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Paging } from '../contracts/queries.js';

export type { Page, Paging } from '../contracts/queries.js';

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
