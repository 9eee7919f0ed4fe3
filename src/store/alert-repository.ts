import type { Statement } from 'better-sqlite3';
import type { Alert } from '../contracts/alert.js';
import type { Database } from './database.js';
import type { AlertQuery, Page } from '../contracts/queries.js';
import { alertPlaceFilter, alertPlacePath } from './alert-place-filter.js';
import { PagedListQuery, equals, oneOf, timeRange } from './paged-list-query.js';


const ALERT_LIST_FILTERS = [
  oneOf<AlertQuery>('level', 'level', (q) => q.level),
  oneOf<AlertQuery>('status', 'status', (q) => q.status),
  equals<AlertQuery>('scenario', 'scenario_id', (q) => q.scenario),
  alertPlaceFilter<AlertQuery>('place', (q) => q.place),
  ...timeRange<AlertQuery>('opened_at', (q) => q.from, (q) => q.to),
];

/** Alerts, one row per alert id, the whole alert as JSON plus the columns lists filter on. */
export class AlertRepository {
  private readonly upsert: Statement;
  private readonly notePlace: Statement;
  private readonly updateState: Statement;
  private readonly byId: Statement;
  private readonly open: Statement;
  private readonly listQuery: PagedListQuery<AlertQuery, Alert>;
  /**
   * Place paths known to be in alert_places. An `INSERT OR IGNORE` of a path already there costs
   * about as much as a small insert (measured ~5 µs), paid by every alert of a storm; a Set lookup
   * costs nothing. Paths noted inside a transaction count only once it commits (`transactionEnded`):
   * a rolled-back path must be written again, not be taken as stored. Hence alerts are written in
   * `Store.transaction` (which reports the end) or outside any transaction, never in a bare
   * `db.transaction`.
   */
  private readonly knownPlaces = new Set<string>();
  private readonly placesThisTransaction = new Set<string>();

  constructor(private readonly db: Database) {
    this.upsert = db.prepare(`
      INSERT INTO alerts (id, scenario_id, key, level, status, opened_at, updated_at,
                          place_id, grid_id, community_id, street_id, place_path, body)
      VALUES (@id, @scenarioId, @key, @level, @status, @openedAt, @updatedAt,
              @placeId, @gridId, @communityId, @streetId, @placePath, @body)
      ON CONFLICT (id) DO UPDATE SET
        scenario_id = excluded.scenario_id, key = excluded.key, level = excluded.level,
        status = excluded.status, opened_at = excluded.opened_at, updated_at = excluded.updated_at,
        place_id = excluded.place_id, grid_id = excluded.grid_id,
        community_id = excluded.community_id, street_id = excluded.street_id,
        place_path = excluded.place_path, body = excluded.body`);
    this.notePlace = db.prepare(`
      INSERT OR IGNORE INTO alert_places (path, place_id, grid_id, community_id, street_id)
      VALUES (@placePath, @placeId, @gridId, @communityId, @streetId)`);
    // An alert's identity columns (scenario, key, openedAt, places) do not change while it lives,
    // and every index contains opened_at: updating only what changed skips most index writes
    // (measured 38 µs instead of 90 µs per commit). When anything else differs, upsert rewrites all.
    this.updateState = db.prepare(`
      UPDATE alerts SET level = @level, status = @status, updated_at = @updatedAt, body = @body
      WHERE id = @id AND scenario_id = @scenarioId AND key = @key AND opened_at = @openedAt
        AND place_id = @placeId AND grid_id IS @gridId AND community_id IS @communityId AND street_id IS @streetId`);
    this.byId = db.prepare('SELECT body FROM alerts WHERE id = ?').pluck();
    this.open = db.prepare("SELECT body FROM alerts WHERE status = 'open' ORDER BY opened_at, id").pluck();
    this.listQuery = new PagedListQuery(db, 'alerts', 'opened_at DESC, id DESC', ALERT_LIST_FILTERS);
  }

  /**
   * Inserts or replaces the alert (the last save of an id wins). `body`, when given, must be
   * `JSON.stringify(alert)` (the group commit serialises each alert once, for its row and its
   * announcement).
   */
  save(alert: Alert, body?: string): void {
    const row = rowOf(alert, body);
    if (this.updateState.run(row).changes === 0) this.insert(row);
  }

  /**
   * The first save of a just-opened alert: straight to the insert, without the update of the state
   * columns that `save` tries first and that can only miss for a new id. Still an upsert, so a
   * repeated id replaces the row as `save` would.
   */
  saveOpened(alert: Alert, body?: string): void {
    this.insert(rowOf(alert, body));
  }

  /**
   * The outermost transaction that wrote through this repository ended (Store.transaction calls
   * this): the place paths it noted are stored for good, or were rolled back with it.
   */
  transactionEnded(committed: boolean): void {
    if (committed) for (const path of this.placesThisTransaction) this.knownPlaces.add(path);
    this.placesThisTransaction.clear();
  }

  private insert(row: AlertRow): void {
    const path = row.placePath;
    if (!this.knownPlaces.has(path) && !this.placesThisTransaction.has(path)) {
      this.notePlace.run(row);
      if (this.db.inTransaction) this.placesThisTransaction.add(path);
      else this.knownPlaces.add(path); // autocommit: the statement committed by itself
    }
    this.upsert.run(row);
  }

  get(id: string): Alert | undefined {
    const body = this.byId.get(id) as string | undefined;
    return body === undefined ? undefined : (JSON.parse(body) as Alert);
  }

  /** Every open alert, oldest first: what the alert manager restores at start. */
  findOpen(): Alert[] {
    return (this.open.all() as string[]).map((body) => JSON.parse(body) as Alert);
  }

  /** Newest first (`openedAt` descending); `limit` defaults to 50 and is clamped to 500. */
  list(query: AlertQuery = {}): Page<Alert> {
    return this.listQuery.run(query);
  }
}

type AlertRow = ReturnType<typeof rowOf>;

function rowOf(alert: Alert, body: string | undefined) {
  return {
    id: alert.id,
    scenarioId: alert.scenarioId,
    key: alert.key,
    level: alert.level,
    status: alert.status,
    openedAt: alert.openedAt,
    updatedAt: alert.updatedAt,
    placeId: alert.placeId,
    gridId: alert.gridId ?? null,
    communityId: alert.communityId ?? null,
    streetId: alert.streetId ?? null,
    placePath: alertPlacePath(alert.placeId, alert.gridId, alert.communityId, alert.streetId),
    body: body ?? JSON.stringify(alert),
  };
}
