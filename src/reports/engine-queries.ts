import type { Alert } from '../contracts/alert.js';
import type { DeadDelivery, EngineApi } from '../contracts/engine-api.js';
import type { DispatchOrder } from '../contracts/order.js';
import type { AlertQuery, OrderQuery, Page } from '../contracts/queries.js';
import type { DeviceContext, Place } from '../contracts/registry.js';
import type { StatsQuery, StatsReport } from '../contracts/stats.js';
import type { OrderTimeline, TimelineLang } from '../contracts/timeline.js';
import { DEFAULT_TIME_ZONE } from '../core/local-time.js';
import { buildOrderStats, type StatsSource } from './order-stats.js';
import { buildOrderTimeline } from './order-timeline.js';

/** Where the read side of the API reads from: the store's repositories and the registry. */
export interface QuerySources {
  alerts: { list(query: AlertQuery): Page<Alert>; get(id: string): Alert | undefined };
  orders: { list(query: OrderQuery): Page<DispatchOrder>; get(id: string): DispatchOrder | undefined };
  outbox: { listDead(limit: number): DeadDelivery[] };
  stats: StatsSource;
  registry: { context(deviceId: string): DeviceContext | undefined; place(id: string): Place | undefined };
}

export type EngineReads = Pick<EngineApi, 'listAlerts' | 'getAlert' | 'listOrders' | 'getOrder' | 'getOrderTimeline' | 'stats' | 'listDeadDeliveries'>;

/**
 * The engine's read side (what the HTTP API lists and shows): alerts and orders as stored, an
 * order's narrative timeline in the place's time zone, the closed-loop statistics, dead deliveries.
 * Reads are synchronous and see only committed state.
 */
export class EngineQueries implements EngineReads {
  constructor(private readonly sources: QuerySources) {}

  listAlerts(query: AlertQuery): Page<Alert> {
    return this.sources.alerts.list(query);
  }

  getAlert(id: string): Alert | undefined {
    return this.sources.alerts.get(id);
  }

  listOrders(query: OrderQuery): Page<DispatchOrder> {
    return this.sources.orders.list(query);
  }

  getOrder(id: string): DispatchOrder | undefined {
    return this.sources.orders.get(id);
  }

  /** The order's narrative (治理叙事) in the time zone of the device's place; undefined for an unknown order. */
  getOrderTimeline(id: string, lang: TimelineLang): OrderTimeline | undefined {
    const { orders, alerts, registry } = this.sources;
    const order = orders.get(id);
    if (!order) return undefined;
    const alert = alerts.get(order.alertId);
    const timeZone = registry.context(order.deviceId)?.timeZone ?? registry.place(order.placeId)?.timeZone ?? DEFAULT_TIME_ZONE;
    return buildOrderTimeline(order, alert, lang, timeZone, { placeName: (placeId) => registry.place(placeId)?.name });
  }

  stats(query: StatsQuery): StatsReport {
    return buildOrderStats(this.sources.stats, query);
  }

  listDeadDeliveries(limit: number): DeadDelivery[] {
    return this.sources.outbox.listDead(limit);
  }
}
