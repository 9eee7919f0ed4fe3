import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder, OrderHistoryEntry, OrderStatus } from '../../../src/contracts/order.js';
import type { Scenario } from '../../../src/contracts/scenario.js';
import { ERR_NOT_FOUND, ERR_ORDER_TRANSITION, ERR_VALIDATION, withDetails } from '../../../src/core/errors.js';
import type {
  AlertQuery, DeadDelivery, DeadLetterPage, DeadLetterQuery, DispatchPolicyInfo, EngineApi, HealthReport, OrderEventRecord,
  OrderQuery, OrderStatusUpdate,
} from '../../../src/api/engine-api.js';
import type { StatsQuery, StatsReport } from '../../../src/contracts/stats.js';
import type { OrderTimeline, TimelineLang } from '../../../src/contracts/timeline.js';
import type { Page } from '../../../src/store/page.js';
import type { Store } from '../../../src/store/store.js';

/** A minimal lifecycle for the test: enough to tell allowed, idempotent and illegal updates apart. */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  created: ['dispatched', 'accepted', 'rejected'],
  dispatched: ['accepted', 'rejected', 'false_alarm'],
  escalated: ['accepted', 'rejected'],
  accepted: ['in_progress', 'resolved', 'false_alarm'],
  in_progress: ['resolved', 'false_alarm'],
  resolved: ['closed'],
  false_alarm: ['closed'],
  rejected: [],
  closed: [],
  cancelled: [],
};

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
      if (!TRANSITIONS[order.status].includes(update.status)) throw ERR_ORDER_TRANSITION(id, order.status, update.status);
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
  getOrderTimeline(_id: string, _lang: TimelineLang): OrderTimeline | undefined {
    throw new Error('not in the test double yet');
  }

  stats(_query: StatsQuery): StatsReport {
    throw new Error('not in the test double yet');
  }

  orderEventsAfter(_afterId: number, _limit: number): OrderEventRecord[] {
    throw new Error('not in the test double yet');
  }

  onOrderEvent(_listener: (event: OrderEventRecord) => void): () => void {
    throw new Error('not in the test double yet');
  }

  listDeadDeliveries(_limit: number): DeadDelivery[] {
    throw new Error('not in the test double yet');
  }

  redeliver(_id: number): boolean {
    throw new Error('not in the test double yet');
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
