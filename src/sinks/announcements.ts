import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder, OrderChange } from '../contracts/order.js';
import { alertTopic, orderOverdueTopic, orderTopic } from '../core/topics.js';
import { cloudEvent } from './cloud-event.js';

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

/**
 * `rw/alerts/{level}/{scenarioId}`: a cleared alert is announced under the level it had.
 *
 * `alertJson`, when given, must be `JSON.stringify(event.alert)`: the group commit serialises the
 * alert once for its row and passes the text here, so a storm does not serialise every alert twice.
 */
export function alertAnnouncement(prefix: string, event: AlertEvent, alertJson?: string): Announcement {
  const alert = event.alert;
  const level = event.type === 'cleared' ? (event.from ?? alert.level) : alert.level;
  const id = `${alert.id}:${alert.history.length}`;
  const type = `riskwatch.alert.${event.type}`;
  const payload = (alertJson === undefined ? undefined : withData(JSON.stringify(cloudEvent(type, id, alert.id, event.at, null)), alertJson))
    ?? JSON.stringify(cloudEvent(type, id, alert.id, event.at, alert));
  return { topic: alertTopic(prefix, level, alert.scenarioId), payload, qos: 1, orderingKey: alert.id, id, type };
}

const NULL_DATA_TAIL = '"data":null}';

/**
 * `envelopeJson` (an event whose data is null) with `dataJson` as its data: the same text as
 * `JSON.stringify` of the event carrying the data, since the package writes `data` last. The
 * envelope's attributes are still built and validated by the package. Undefined when the layout is
 * not the one this relies on (another `cloudevents` version): the caller serialises the whole event.
 */
function withData(envelopeJson: string, dataJson: string): string | undefined {
  if (!envelopeJson.endsWith(NULL_DATA_TAIL)) return undefined;
  return `${envelopeJson.slice(0, envelopeJson.length - NULL_DATA_TAIL.length)}"data":${dataJson}}`;
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
