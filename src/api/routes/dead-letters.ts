import type { FastifyInstance } from 'fastify';
import type { DeadLetterQuery, EngineApi } from '../../contracts/engine-api.js';
import { errorResponses } from '../schemas/common.js';
import { deadLetterPageSchema, deadLetterQuerySchema, type DeadLetterQuerystring } from '../schemas/dead-letter.js';

export function registerDeadLetterRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Querystring: DeadLetterQuerystring }>('/api/deadletters', {
    schema: { querystring: deadLetterQuerySchema, response: { 200: deadLetterPageSchema, ...errorResponses } },
  }, async (request) => {
    const { reason, limit, offset } = request.query;
    const query: DeadLetterQuery = { limit, offset };
    if (reason !== undefined) query.reason = reason;
    const page = engine.listDeadLetters(query);
    return { items: page.items, total: page.total, counts: page.counts, limit, offset };
  });
}
