import type { FastifyInstance } from 'fastify';
import { ERR_NOT_FOUND } from '../../core/errors.js';
import type { EngineApi } from '../../contracts/engine-api.js';
import { errorResponses } from '../schemas/common.js';
import {
  deadDeliveryListSchema, deadDeliveryQuerySchema, deliveryIdParamsSchema,
  type DeadDeliveryQuerystring, type DeliveryIdParams,
} from '../schemas/delivery.js';

/**
 * Dead deliveries: outbox entries a sink gave up on after its attempts. An operator lists them
 * and, once the receiver is fixed, sends one again (it rejoins the sink's queue, attempts reset).
 */
export function registerDeliveryRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Querystring: DeadDeliveryQuerystring }>('/api/deliveries/dead', {
    schema: { querystring: deadDeliveryQuerySchema, response: { 200: deadDeliveryListSchema, ...errorResponses } },
  }, async (request) => {
    const { limit } = request.query;
    return { items: engine.listDeadDeliveries(limit), limit };
  });

  app.post<{ Params: DeliveryIdParams }>('/api/deliveries/:id/redeliver', {
    schema: { params: deliveryIdParamsSchema, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    // Unknown, delivered and still-pending entries alike: there is no dead delivery by that id.
    if (!engine.redeliver(request.params.id)) throw ERR_NOT_FOUND('dead delivery', request.params.id);
    return reply.code(204).send();
  });
}
