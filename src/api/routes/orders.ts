import type { FastifyInstance } from 'fastify';
import type { Level } from '../../contracts/level.js';
import type { OrderStatus } from '../../contracts/order.js';
import type { Tier } from '../../contracts/registry.js';
import { ERR_NOT_FOUND } from '../../core/errors.js';
import type { EngineApi, OrderQuery, OrderStatusUpdate } from '../../contracts/engine-api.js';
import { parseInstant, splitList } from '../query-params.js';
import { errorResponses, idParamsSchema, pageSchema, type IdParams } from '../schemas/common.js';
import {
  orderListQuerySchema, orderSchema, orderStatusUpdateSchema,
  type OrderListQuerystring, type OrderStatusUpdateBody,
} from '../schemas/order.js';

export function toOrderQuery(qs: OrderListQuerystring): OrderQuery {
  return {
    level: splitList<Level>(qs.level),
    status: splitList<OrderStatus>(qs.status),
    scenario: qs.scenario,
    place: qs.place,
    tier: splitList<Tier>(qs.tier),
    from: parseInstant(qs.from, 'from'),
    to: parseInstant(qs.to, 'to'),
    limit: qs.limit,
    offset: qs.offset,
  };
}

export function registerOrderRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Querystring: OrderListQuerystring }>('/api/orders', {
    schema: { querystring: orderListQuerySchema, response: { 200: pageSchema(orderSchema), ...errorResponses } },
  }, async (request) => engine.listOrders(toOrderQuery(request.query)));

  app.get<{ Params: IdParams }>('/api/orders/:id', {
    schema: { params: idParamsSchema, response: { 200: orderSchema, ...errorResponses } },
  }, async (request) => {
    const order = engine.getOrder(request.params.id);
    if (!order) throw ERR_NOT_FOUND('order', request.params.id);
    return order;
  });

  app.patch<{ Params: IdParams; Body: OrderStatusUpdateBody }>('/api/orders/:id', {
    schema: {
      params: idParamsSchema,
      body: orderStatusUpdateSchema,
      response: { 200: orderSchema, ...errorResponses },
    },
  }, async (request) => {
    const { status, note, by } = request.body;
    const update: OrderStatusUpdate = { status };
    if (note !== undefined) update.note = note;
    if (by !== undefined) update.by = by;
    return engine.updateOrderStatus(request.params.id, update);
  });
}
