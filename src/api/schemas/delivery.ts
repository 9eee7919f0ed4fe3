import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../contracts/queries.js';

/**
 * An outbox entry a sink gave up on (a webhook that stayed down or kept refusing it). No topic and
 * no payload: the payload is the order, with residents' contacts, and the id finds it when needed.
 */
export const deadDeliverySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'sink', 'attempts', 'createdAt', 'deadAt'],
  properties: {
    id: { type: 'integer', description: 'outbox entry id; POST /api/deliveries/{id}/redeliver sends it again' },
    sink: { type: 'string', description: "'webhook:{url}' (or 'mqtt')" },
    idempotencyKey: { type: 'string', description: 'the CloudEvent id, {orderId}:{version}; sent as webhook-id and Idempotency-Key' },
    orderingKey: { type: 'string', description: 'the order id' },
    attempts: { type: 'integer' },
    createdAt: { type: 'number', description: 'epoch ms' },
    deadAt: { type: 'number', description: 'epoch ms, when the sink gave up' },
    lastError: { type: 'string' },
  },
} as const;

export const deadDeliveryQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  },
} as const;

export interface DeadDeliveryQuerystring {
  limit: number;
}

/** Most recently given up first. */
export const deadDeliveryListSchema = {
  type: 'object',
  required: ['items', 'limit'],
  properties: {
    items: { type: 'array', items: deadDeliverySchema },
    limit: { type: 'integer' },
  },
} as const;

/** `/api/deliveries/:id/…`: an outbox entry id. */
export const deliveryIdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

export interface DeliveryIdParams {
  id: number;
}
