import type { Alert } from './alert.js';
import type { DispatchPolicyInfo } from './dispatch.js';
import { REPORTABLE_STATUSES, type DispatchOrder, type OrderStatus } from './order.js';
import type { OrderEventRecord } from './order-event.js';
import type { DeadOutboxEntry as DeadDelivery } from './outbox.js';
import type { AlertQuery, OrderQuery, Page } from './queries.js';
import type { Scenario } from './scenario.js';
import type { StatsQuery, StatsReport } from './stats.js';
import type { OrderTimeline, TimelineLang } from './timeline.js';

export type { AlertQuery, OrderQuery, Page } from './queries.js';
export type { DispatchPolicyInfo } from './dispatch.js';
export type { OrderEventRecord } from './order-event.js';
/** An outbox entry a sink gave up on after its attempts (e.g. a webhook that stayed down). */
export type { DeadOutboxEntry as DeadDelivery } from './outbox.js';

/** Monotonic counters of a running engine, reported by /health (and read by the benchmarks). */
export interface EngineCounters {
  /** Messages taken by ingest: telemetry and anything else under the topic prefix that is not a status report or the engine's own. */
  messages: number;
  /** ... of which became readings (`messages` = `accepted` + `rejected`). */
  accepted: number;
  /** ... of which were dead-lettered, each with one reason. */
  rejected: number;
  /** Messages outside the topic prefix: not the engine's, counted and dropped. */
  ignored: number;
  detections: number;
  alertEvents: number;
  alertsSuppressed: number;
  ordersCreated: number;
  orderUpdates: number;
  statusUpdatesRejected: number;
  stageErrors: number;
  expressionErrors: number;
  publishFailures: number;
  publishesDenied: number;
  overdue: number;
  deadlineWarnings: number;
  webhookDelivered: number;
  webhookFailedAttempts: number;
  webhookDead: number;
}

export interface HealthReport {
  /** `degraded` (HTTP 503) when the engine cannot do its job, e.g. the broker is disconnected. */
  status: 'ok' | 'degraded';
  uptimeMs: number;
  broker: { kind: 'embedded' | 'external'; connected: boolean };
  /** Monotonic counters: readings, dead letters, alerts, orders, outbox backlog, ... */
  counters: Record<string, number>;
}

/** Statuses a dispatch system may report over HTTP (the lifecycle's reportable ones); the engine sets the others itself. */
export const ORDER_STATUS_UPDATES = REPORTABLE_STATUSES;

export interface OrderStatusUpdate {
  /** The API admits only ORDER_STATUS_UPDATES; other callers (MQTT status topic) are checked by the engine. */
  status: OrderStatus;
  /** Free text from the handler, kept in the order history. */
  note?: string;
  /** Who reported the change (handler or system id). */
  by?: string;
}

export interface DeadLetterQuery {
  /** A dead-letter reason (`schema`, `unknown_device`, ...) or its error code (`ERR_PAYLOAD_SCHEMA`). */
  reason?: string;
  limit: number;
  offset: number;
}

export interface DeadLetterPage {
  items: unknown[];
  /** Matches of the query. */
  total: number;
  /** Dead letters per reason since the engine started (never reset, even when the ring overwrote them). */
  counts: Record<string, number>;
}

/**
 * What the HTTP API needs from the engine; the engine implements it. Reads are synchronous (from
 * the store or from memory); updates commit before they resolve.
 */
export interface EngineApi {
  health(): HealthReport;
  listAlerts(query: AlertQuery): Page<Alert>;
  getAlert(id: string): Alert | undefined;
  listOrders(query: OrderQuery): Page<DispatchOrder>;
  getOrder(id: string): DispatchOrder | undefined;
  /**
   * Applies a status reported by a dispatch system and returns the order as now stored.
   * Throws ERR_NOT_FOUND (404), ERR_ORDER_TRANSITION (409) or ERR_VALIDATION (400).
   * Idempotent: repeating an update identical to the last applied one returns the order unchanged.
   */
  updateOrderStatus(id: string, update: OrderStatusUpdate): Promise<DispatchOrder>;
  /** The order's narrative; undefined when the order does not exist. */
  getOrderTimeline(id: string, lang: TimelineLang): OrderTimeline | undefined;
  stats(query: StatsQuery): StatsReport;
  /** Order events logged after `afterId` (exclusive), oldest first, at most `limit`. */
  orderEventsAfter(afterId: number, limit: number): OrderEventRecord[];
  /** Calls `listener` with every order event once committed; returns the unsubscribe function. */
  onOrderEvent(listener: (event: OrderEventRecord) => void): () => void;
  listDeadDeliveries(limit: number): DeadDelivery[];
  /** Puts a dead delivery back in its sink's queue; false when there is no such dead entry. */
  redeliver(id: number): boolean;
  dispatchPolicy(): DispatchPolicyInfo;
  /** Re-reads the policy file; a bad file throws ERR_POLICY_INVALID and the running policy stays. */
  reloadDispatchPolicy(): Promise<DispatchPolicyInfo>;
  listScenarios(): Scenario[];
  listDeadLetters(query: DeadLetterQuery): DeadLetterPage;
}
