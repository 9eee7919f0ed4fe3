import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../../contracts/engine-api.js';
import { errorResponses } from '../schemas/common.js';
import { healthSchema } from '../schemas/health.js';

export function registerHealthRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get('/health', {
    schema: { response: { 200: healthSchema, 503: healthSchema, ...errorResponses } },
  }, async (_request, reply) => {
    const report = engine.health();
    // 503 lets load balancers and orchestrators take a degraded engine out of rotation.
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });
}
