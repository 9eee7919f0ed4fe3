import type { ListFilter } from './paged-list-query.js';

/**
 * The place of an alert as one key: its place, grid, community and street ids, the text SQLite's
 * `json_array(place_id, grid_id, community_id, street_id)` writes (migration 4 fills old rows so).
 */
export function alertPlacePath(placeId: string, gridId?: string, communityId?: string, streetId?: string): string {
  return JSON.stringify([placeId, gridId ?? null, communityId ?? null, streetId ?? null]);
}

/**
 * A place id matched at the alert's place, grid, community or street: the paths that name it, from
 * the small `alert_places` table, then the alerts by the `alerts_place_path` index. One index
 * entry per alert instead of four (migration 4); same matches as four `OR`ed column tests.
 */
export function alertPlaceFilter<Q>(name: string, pick: (query: Q) => string | undefined): ListFilter<Q> {
  return {
    name,
    where: `place_path IN (SELECT path FROM alert_places
      WHERE place_id = @${name} OR grid_id = @${name} OR community_id = @${name} OR street_id = @${name})`,
    value: pick,
  };
}
