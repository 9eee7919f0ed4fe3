import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder, OrderHistoryEntry } from '../../../src/contracts/order.js';
import type { Scenario } from '../../../src/contracts/scenario.js';
import { canTransition } from '../../../src/dispatch/order-lifecycle.js';
import { ERR_NOT_FOUND, ERR_ORDER_TRANSITION, ERR_VALIDATION, withDetails } from '../../../src/core/errors.js';
import type {
  AlertQuery, DeadDelivery, DeadLetterPage, DeadLetterQuery, DispatchPolicyInfo, EngineApi, HealthReport, OrderEventRecord,
  OrderQuery, OrderStatusUpdate,
} from '../../../src/contracts/engine-api.js';
import type { StatsQuery, StatsReport } from '../../../src/contracts/stats.js';
import type { OrderTimeline, TimelineLang } from '../../../src/contracts/timeline.js';
import type { Page } from '../../../src/store/page.js';
import { buildOrderStats } from '../../../src/reports/order-stats.js';
import { buildOrderTimeline } from '../../../src/reports/order-timeline.js';
import type { Store } from '../../../src/store/store.js';
import type { OrderChange } from '../../../src/dispatch/order-manager.js';
import { cloudEvent } from '../../../src/sinks/cloud-event.js';

export interface DeadLetterRecord {
  reason: string;
  topic: string;
  receivedAt: number;
}

/**
 * An EngineApi over a real SQLite Store, as the engine does it: reads from the repositories, a
 * status update saves the new order version and its outbox message in one transaction.
 */
export class SqliteEngineApi implements EngineApi {
  brokerConnected = true;
  readonly deadLetterQueries: DeadLetterQuery[] = [];
  private readonly orderEventListeners = new Set<(event: OrderEventRecord) => void>();

  constructor(
    readonly store: Store,
    private readonly now: () => number,
    private readonly scenarios: Scenario[] = [],
    private readonly deadLetters: DeadLetterRecord[] = [],
  ) {}

  health(): HealthReport {
    return {
      status: this.brokerConnected && this.store.isOpen ? 'ok' : 'degraded',
      uptimeMs: 1234,
      broker: { kind: 'embedded', connected: this.brokerConnected },
      counters: { outboxPending: this.store.outbox.countPending(), openAlerts: this.store.alerts.findOpen().length },
    };
  }

  listAlerts(query: AlertQuery): Page<Alert> {
    return this.store.alerts.list(query);
  }

  getAlert(id: string): Alert | undefined {
    return this.store.alerts.get(id);
  }

  listOrders(query: OrderQuery): Page<DispatchOrder> {
    return this.store.orders.list(query);
  }

  getOrder(id: string): DispatchOrder | undefined {
    return this.store.orders.get(id);
  }

  async updateOrderStatus(id: string, update: OrderStatusUpdate): Promise<DispatchOrder> {
    return this.store.transaction(() => {
      const order = this.store.orders.get(id);
      if (!order) throw ERR_NOT_FOUND('order', id);
      const last = order.history[order.history.length - 1];
      if (order.status === update.status && last?.type === 'status' && last.status === update.status
        && last.note === update.note && last.by === update.by) {
        return order;
      }
      if (!canTransition(order.status, update.status)) throw ERR_ORDER_TRANSITION(id, order.status, update.status);
      if (update.status === 'false_alarm' && !update.note) {
        throw withDetails(ERR_VALIDATION('a false alarm needs a note'), { field: 'note' });
      }
      const at = this.now();
      const entry: OrderHistoryEntry = { at, type: 'status', status: update.status };
      if (update.note !== undefined) entry.note = update.note;
      if (update.by !== undefined) entry.by = update.by;
      const next: DispatchOrder = {
        ...order, status: update.status, updatedAt: at, version: order.version + 1, history: [...order.history, entry],
      };
      this.store.orders.save(next);
      this.store.outbox.append(
        { topic: `rw/orders/${next.tier}/${next.id}`, payload: JSON.stringify(next), qos: 1, orderingKey: next.id }, at);
      return next;
    });
  }

  // Filled in by the parts of the dispatch loop that serve them (timeline, stats, SSE, deliveries, policy).
  getOrderTimeline(id: string, lang: TimelineLang): OrderTimeline | undefined {
    const order = this.store.orders.get(id);
    if (!order) return undefined;
    return buildOrderTimeline(order, this.store.alerts.get(order.alertId), lang, 'Asia/Shanghai');
  }

  stats(query: StatsQuery): StatsReport {
    return buildOrderStats(this.store, query);
  }

  orderEventsAfter(afterId: number, limit: number): OrderEventRecord[] {
    return this.store.orderEvents.after(afterId, limit);
  }

  onOrderEvent(listener: (event: OrderEventRecord) => void): () => void {
    this.orderEventListeners.add(listener);
    return () => this.orderEventListeners.delete(listener);
  }

  /** Live order event listeners (the SSE streams currently open). */
  get orderEventListenerCount(): number {
    return this.orderEventListeners.size;
  }

  /**
   * Test helper, as the engine's group commit does it: logs each order version's CloudEvent in one
   * transaction, then, once committed, notifies the listeners in log order. Returns the records.
   */
  publishOrderEvents(changes: readonly { order: DispatchOrder; change: OrderChange }[]): OrderEventRecord[] {
    const records = this.store.transaction(() => changes.map(({ order, change }) => {
      const type = `riskwatch.order.${change}`;
      const payload = JSON.stringify(cloudEvent(type, `${order.id}:${order.version}`, order.id, order.updatedAt, order));
      const event = { orderId: order.id, version: order.version, type, at: order.updatedAt, payload };
      return { id: this.store.orderEvents.append(event), ...event };
    }));
    for (const record of records) for (const listener of [...this.orderEventListeners]) listener(record);
    return records;
  }

  publishOrderEvent(order: DispatchOrder, change: OrderChange): OrderEventRecord {
    return this.publishOrderEvents([{ order, change }])[0];
  }

  listDeadDeliveries(limit: number): DeadDelivery[] {
    return this.store.outbox.listDead(limit);
  }

  redeliver(id: number): boolean {
    return this.store.outbox.revive(id);
  }

  dispatchPolicy(): DispatchPolicyInfo {
    throw new Error('not in the test double yet');
  }

  async reloadDispatchPolicy(): Promise<DispatchPolicyInfo> {
    throw new Error('not in the test double yet');
  }

  listScenarios(): Scenario[] {
    return this.scenarios;
  }

  listDeadLetters(query: DeadLetterQuery): DeadLetterPage {
    this.deadLetterQueries.push(query);
    const matching = query.reason === undefined ? this.deadLetters : this.deadLetters.filter((d) => d.reason === query.reason);
    const counts: Record<string, number> = {};
    for (const d of this.deadLetters) counts[d.reason] = (counts[d.reason] ?? 0) + 1;
    return { items: matching.slice(query.offset, query.offset + query.limit), total: matching.length, counts };
  }
}
