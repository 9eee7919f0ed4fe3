import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder } from '../contracts/order.js';
import { alertTopic, orderTopic } from '../broker/topics.js';
import { cloudEvent } from './cloud-event.js';
import type { OrderChange } from '../dispatch/order-manager.js';

/** One message to announce, as it is written to the outbox. */
export interface Announcement {
  topic: string;
  payload: string;
  qos: 0 | 1;
  orderingKey: string;
}

/** `rw/alerts/{level}/{scenarioId}`: a cleared alert is announced under the level it had. */
export function alertAnnouncement(prefix: string, event: AlertEvent): Announcement {
  const alert = event.alert;
  const level = event.type === 'cleared' ? (event.from ?? alert.level) : alert.level;
  const id = `${alert.id}:${alert.history.length}`;
  const envelope = cloudEvent(`riskwatch.alert.${event.type}`, id, alert.id, event.at, alert);
  return { topic: alertTopic(prefix, level, alert.scenarioId), payload: JSON.stringify(envelope), qos: 1, orderingKey: alert.id };
}

/** `rw/orders/{tier}/{orderId}`, QoS 1; the order carries the resident's contact for the handler. */
export function orderAnnouncement(prefix: string, order: DispatchOrder, change: OrderChange): Announcement {
  const envelope = cloudEvent(`riskwatch.order.${change}`, `${order.id}:${order.version}`, order.id, order.updatedAt, order);
  return { topic: orderTopic(prefix, order.tier, order.id), payload: JSON.stringify(envelope), qos: 1, orderingKey: order.id };
}
