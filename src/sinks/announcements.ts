import type { AlertEvent } from '../contracts/alert.js';
import type { OrderUpdate } from '../contracts/order.js';
import type { AlertAnnouncement, OrderAnnouncement } from '../contracts/sink.js';
import { isUrgentAlertTransition, isUrgentOrderChange } from '../core/urgency.js';
import { cloudEvent } from './cloud-event.js';

/**
 * An alert change as every sink announces it: CloudEvent `riskwatch.alert.{type}`, id
 * `{alertId}:{n}` (n = the alert's history length, one per change).
 *
 * `alertJson`, when given, must be `JSON.stringify(event.alert)`: the group commit serialises the
 * alert once for its row and passes the text here, so a storm does not serialise every alert twice.
 */
export function announceAlert(event: AlertEvent, alertJson?: string): AlertAnnouncement {
  const alert = event.alert;
  const id = `${alert.id}:${alert.history.length}`;
  const type = `riskwatch.alert.${event.type}`;
  const json = (alertJson === undefined ? undefined : withData(JSON.stringify(cloudEvent(type, id, alert.id, event.at, null)), alertJson))
    ?? JSON.stringify(cloudEvent(type, id, alert.id, event.at, alert));
  return { kind: 'alert', event, id, type, orderingKey: alert.id, json, urgent: isUrgentAlertTransition(event.type) };
}

/**
 * A new order version as every sink announces it: CloudEvent `riskwatch.order.{change}`, id
 * `{orderId}:{version}` (one state of one order: the idempotency key downstream). The order carries
 * the resident's contact for the handler.
 */
export function announceOrder(update: OrderUpdate): OrderAnnouncement {
  const { order, change } = update;
  const id = `${order.id}:${order.version}`;
  const type = `riskwatch.order.${change}`;
  const json = JSON.stringify(cloudEvent(type, id, order.id, order.updatedAt, order));
  return { kind: 'order', update, id, type, orderingKey: order.id, json, urgent: isUrgentOrderChange(change) };
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
