import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder } from '../contracts/order.js';
import { alertTopic, orderOverdueTopic, orderTopic } from '../broker/topics.js';
import { cloudEvent } from './cloud-event.js';
import type { OrderChange } from '../dispatch/order-manager.js';

/** One message to announce, as it is written to the outbox. */
export interface Announcement {
  topic: string;
  payload: string;
  qos: 0 | 1;
  orderingKey: string;
  /** The CloudEvent id: what receivers deduplicate on (webhook idempotency key). */
  id: string;
  /** The CloudEvent type, e.g. `riskwatch.order.created`. */
  type: string;
}

/** `rw/alerts/{level}/{scenarioId}`: a cleared alert is announced under the level it had. */
export function alertAnnouncement(prefix: string, event: AlertEvent): Announcement {
  const alert = event.alert;
  const level = event.type === 'cleared' ? (event.from ?? alert.level) : alert.level;
  const id = `${alert.id}:${alert.history.length}`;
  const type = `riskwatch.alert.${event.type}`;
  const envelope = cloudEvent(type, id, alert.id, event.at, alert);
  return { topic: alertTopic(prefix, level, alert.scenarioId), payload: JSON.stringify(envelope), qos: 1, orderingKey: alert.id, id, type };
}

/**
 * `rw/orders/{tier}/{orderId}`, QoS 1; the order carries the resident's contact for the handler.
 * The id `{orderId}:{version}` names one state of one order: the idempotency key downstream.
 */
export function orderAnnouncement(prefix: string, order: DispatchOrder, change: OrderChange): Announcement {
  const id = `${order.id}:${order.version}`;
  const type = `riskwatch.order.${change}`;
  const envelope = cloudEvent(type, id, order.id, order.updatedAt, order);
  return { topic: orderTopic(prefix, order.tier, order.id), payload: JSON.stringify(envelope), qos: 1, orderingKey: order.id, id, type };
}

/**
 * `rw/orders/{orderId}/overdue`: the same CloudEvent as the order version that recorded the
 * warning or miss, on a topic of its own, so supervisors (督办) subscribe to misses alone
 * (`rw/orders/+/overdue`) without following every order.
 */
export function overdueAnnouncement(prefix: string, order: DispatchOrder, orderMessage: Announcement): Announcement {
  return { ...orderMessage, topic: orderOverdueTopic(prefix, order.id) };
}
