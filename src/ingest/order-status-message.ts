import type { OrderStatusUpdate } from '../contracts/engine-api.js';
import { ERR_VALIDATION, withDetails } from '../core/errors.js';
import { parseOrderStatusTopic } from '../core/topics.js';

/** A status report a dispatch system published for one order. */
export interface OrderStatusMessage {
  orderId: string;
  update: OrderStatusUpdate;
}

/**
 * `{prefix}/orders/{orderId}/status` with `{"status": "accepted", "note": "...", "by": "..."}`, the
 * MQTT twin of `PATCH /api/orders/{id}`. Undefined for any other topic. A payload that is not JSON
 * or lacks a status throws ERR_VALIDATION with the order id in `details`; whether the status is one
 * a dispatch system may report, and may report now, is the order lifecycle's to say.
 * Unknown fields are ignored, as a newer dispatch system may send more.
 */
export function decodeOrderStatusMessage(prefix: string, topic: string, payload: Buffer): OrderStatusMessage | undefined {
  const orderId = parseOrderStatusTopic(prefix, topic);
  if (!orderId) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    throw withDetails(ERR_VALIDATION('status payload is not JSON'), { orderId });
  }
  const fields = body as Partial<OrderStatusUpdate> | null;
  if (!fields || typeof fields.status !== 'string') throw withDetails(ERR_VALIDATION('status payload needs a "status"'), { orderId });
  const update: OrderStatusUpdate = { status: fields.status };
  if (typeof fields.note === 'string') update.note = fields.note;
  if (typeof fields.by === 'string') update.by = fields.by;
  return { orderId, update };
}
