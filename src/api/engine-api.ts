import type { Alert } from '../contracts/alert.js';
import type { DispatchOrder, OrderStatus } from '../contracts/order.js';
import type { Scenario } from '../contracts/scenario.js';
import type { AlertQuery } from '../store/alert-repository.js';
import type { OrderQuery } from '../store/order-repository.js';
import type { Page } from '../store/page.js';

export type { AlertQuery } from '../store/alert-repository.js';
export type { OrderQuery } from '../store/order-repository.js';
export type { Page } from '../store/page.js';

export interface HealthReport {
  /** `degraded` (HTTP 503) when the engine cannot do its job, e.g. the broker is disconnected. */
  status: 'ok' | 'degraded';
  uptimeMs: number;
  broker: { kind: 'embedded' | 'external'; connected: boolean };
  /** Monotonic counters: readings, dead letters, alerts, orders, outbox backlog, ... */
  counters: Record<string, number>;
}

/** Statuses a dispatch system may report over HTTP; the engine sets the others itself. */
export const ORDER_STATUS_UPDATES = [
  'accepted', 'in_progress', 'resolved', 'false_alarm', 'closed', 'rejected',
] as const satisfies readonly OrderStatus[];

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
 * What the HTTP API needs from the engine; the engine implements it. Every method is synchronous:
 * reads come from the store or from memory, updates commit before they return.
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
  updateOrderStatus(id: string, update: OrderStatusUpdate): DispatchOrder;
  listScenarios(): Scenario[];
  listDeadLetters(query: DeadLetterQuery): DeadLetterPage;
}
