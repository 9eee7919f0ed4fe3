import { EVENT_SOURCE } from '../../contracts/cloud-event.js';
import { ORDER_SCHEMA_ID, type OrderChange } from '../../contracts/order.js';
import { everyOf } from './every-of.js';

/** Every kind of order change, each announced as CloudEvent type `riskwatch.order.{change}`. */
export const ORDER_CHANGES = everyOf<OrderChange>()([
  'created', 'escalated', 'alert_level', 'alert_cleared', 'status', 'rerouted', 'cancelled', 'overdue', 'deadline_warning',
]);

export const ORDER_EVENT_SCHEMA_ID = 'urn:riskwatch:schema:order-event:v1';

/**
 * `schemas/order-event.schema.json`: one order CloudEvent (1.0, structured JSON mode) as it goes
 * out on MQTT (`rw/orders/{tier}/{orderId}`), to webhooks and as the `data:` of an SSE event.
 * `data` refers to the order schema by its `$id`: load both (ajv `addSchema`) to validate.
 */
export const publishedOrderEventSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: ORDER_EVENT_SCHEMA_ID,
  title: 'riskwatch order event (CloudEvents 1.0)',
  description: 'One published state of a dispatch order, as a CloudEvents 1.0 event in structured JSON mode (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md). Delivery is at least once: deduplicate on id.',
  type: 'object',
  additionalProperties: true,
  required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data'],
  properties: {
    specversion: { const: '1.0', description: 'CloudEvents version.' },
    id: {
      type: 'string', pattern: '^.+:[0-9]+$',
      description: '{orderId}:{version}: names one state of one order, the receiver\'s deduplication (idempotency) key.',
    },
    source: { const: EVENT_SOURCE, description: 'The producer.' },
    type: {
      enum: ORDER_CHANGES.map((change) => `riskwatch.order.${change}`),
      description: 'riskwatch.order.{change}: what changed in this version.',
    },
    subject: { type: 'string', minLength: 1, description: 'The order id.' },
    time: { type: 'string', format: 'date-time', description: 'When the order changed (its updatedAt), RFC 3339 UTC.' },
    datacontenttype: { const: 'application/json', description: 'data is JSON.' },
    dataschema: { const: ORDER_SCHEMA_ID, description: 'The $id of the order schema (schemas/order.schema.json).' },
    data: { $ref: ORDER_SCHEMA_ID, description: 'The order in this version.' },
  },
} as const;
