import type { Statement } from 'better-sqlite3';
import type { DispatchOrder } from '../contracts/order.js';
import type { Database } from './database.js';
import type { OrderQuery, Page } from '../contracts/queries.js';
import { PagedListQuery, anyColumnEquals, equals, oneOf, timeRange } from './paged-list-query.js';


/** Statuses in which an order is finished (see `isFinished` in dispatch/order-lifecycle.ts). */
const FINISHED_SQL = "'resolved', 'closed', 'false_alarm', 'cancelled'";

const ORDER_LIST_FILTERS = [
  oneOf<OrderQuery>('level', 'level', (q) => q.level),
  oneOf<OrderQuery>('status', 'status', (q) => q.status),
  equals<OrderQuery>('scenario', 'scenario_id', (q) => q.scenario),
  anyColumnEquals<OrderQuery>(
    'place', ['place_id', 'grid_id', 'community_id', 'street_id', 'assignee_place_id'], (q) => q.place),
  oneOf<OrderQuery>('tier', 'tier', (q) => q.tier),
  ...timeRange<OrderQuery>('created_at', (q) => q.from, (q) => q.to),
];

/**
 * Dispatch orders, one row per order id. Rows carry the resident's contact data inside `body`
 * (dispatch needs it); no indexed column holds personal data.
 */
export class OrderRepository {
  private readonly upsert: Statement;
  private readonly updateState: Statement;
  private readonly byId: Statement;
  private readonly latestByAlert: Statement;
  private readonly openOfSubject: Statement;
  private readonly unfinished: Statement;
  private readonly listQuery: PagedListQuery<OrderQuery, DispatchOrder>;

  constructor(db: Database) {
    this.upsert = db.prepare(`
      INSERT INTO orders (id, alert_id, scenario_id, level, status, tier, version, created_at, updated_at,
                          place_id, grid_id, community_id, street_id, assignee_place_id, body,
                          subject_id, priority, accepted_at, resolved_at, response_due_at, resolution_due_at, overdue_count)
      VALUES (@id, @alertId, @scenarioId, @level, @status, @tier, @version, @createdAt, @updatedAt,
              @placeId, @gridId, @communityId, @streetId, @assigneePlaceId, @body,
              @subjectId, @priority, @acceptedAt, @resolvedAt, @responseDueAt, @resolutionDueAt, @overdueCount)
      ON CONFLICT (id) DO UPDATE SET
        alert_id = excluded.alert_id, scenario_id = excluded.scenario_id, level = excluded.level,
        status = excluded.status, tier = excluded.tier, version = excluded.version,
        created_at = excluded.created_at, updated_at = excluded.updated_at,
        place_id = excluded.place_id, grid_id = excluded.grid_id, community_id = excluded.community_id,
        street_id = excluded.street_id, assignee_place_id = excluded.assignee_place_id, body = excluded.body,
        subject_id = excluded.subject_id, priority = excluded.priority, accepted_at = excluded.accepted_at,
        resolved_at = excluded.resolved_at, response_due_at = excluded.response_due_at,
        resolution_due_at = excluded.resolution_due_at, overdue_count = excluded.overdue_count`);
    // An order's alert, scenario, createdAt and places do not change while it lives, and every index
    // contains created_at: updating only the columns a lifecycle step changes skips most index
    // writes. When anything else differs, upsert rewrites all.
    this.updateState = db.prepare(`
      UPDATE orders SET level = @level, status = @status, tier = @tier, version = @version,
                        updated_at = @updatedAt, assignee_place_id = @assigneePlaceId, body = @body,
                        priority = @priority, accepted_at = @acceptedAt, resolved_at = @resolvedAt,
                        response_due_at = @responseDueAt, resolution_due_at = @resolutionDueAt,
                        overdue_count = @overdueCount
      WHERE id = @id AND alert_id = @alertId AND scenario_id = @scenarioId AND created_at = @createdAt
        AND place_id = @placeId AND grid_id IS @gridId AND community_id IS @communityId AND street_id IS @streetId
        AND subject_id IS @subjectId`);
    this.openOfSubject = db
      .prepare(`SELECT count(*) FROM orders WHERE subject_id = ? AND status NOT IN (${FINISHED_SQL})`)
      .pluck();
    this.unfinished = db.prepare(`SELECT body FROM orders WHERE status NOT IN (${FINISHED_SQL}) ORDER BY created_at, id`).pluck();
    this.byId = db.prepare('SELECT body FROM orders WHERE id = ?').pluck();
    // rowid breaks ties between orders created in the same millisecond: the later insert wins.
    this.latestByAlert = db
      .prepare('SELECT body FROM orders WHERE alert_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .pluck();
    this.listQuery = new PagedListQuery(db, 'orders', 'created_at DESC, id DESC', ORDER_LIST_FILTERS);
  }

  /** Inserts or replaces the order (the last save of an id wins). */
  save(order: DispatchOrder): void {
    const row = {
      id: order.id,
      alertId: order.alertId,
      scenarioId: order.scenarioId,
      level: order.level,
      status: order.status,
      tier: order.tier,
      version: order.version,
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      placeId: order.placeId,
      gridId: order.gridId ?? null,
      communityId: order.communityId ?? null,
      streetId: order.streetId ?? null,
      assigneePlaceId: order.assignee.placeId,
      body: JSON.stringify(order),
      subjectId: order.subject?.id ?? null,
      priority: order.priority,
      acceptedAt: order.acceptedAt ?? null,
      resolvedAt: order.resolvedAt ?? null,
      responseDueAt: order.responseDueAt,
      resolutionDueAt: order.resolutionDueAt,
      overdueCount: order.overdueCount ?? 0,
    };
    if (this.updateState.run(row).changes === 0) this.upsert.run(row);
  }

  get(id: string): DispatchOrder | undefined {
    const body = this.byId.get(id) as string | undefined;
    return body === undefined ? undefined : (JSON.parse(body) as DispatchOrder);
  }

  /** The most recently created order for the alert, if any. */
  findByAlert(alertId: string): DispatchOrder | undefined {
    const body = this.latestByAlert.get(alertId) as string | undefined;
    return body === undefined ? undefined : (JSON.parse(body) as DispatchOrder);
  }

  /** Orders of the subject that are not finished (a policy fact: a household with several open orders). */
  countOpenForSubject(subjectId: string): number {
    return this.openOfSubject.get(subjectId) as number;
  }

  /** Every order still being handled, oldest first: the overdue watcher arms their deadlines at start. */
  listUnfinished(): DispatchOrder[] {
    return (this.unfinished.all() as string[]).map((body) => JSON.parse(body) as DispatchOrder);
  }

  /** Newest first (`createdAt` descending); `limit` defaults to 50 and is clamped to 500. */
  list(query: OrderQuery = {}): Page<DispatchOrder> {
    return this.listQuery.run(query);
  }
}
