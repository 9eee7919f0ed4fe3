import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../../contracts/engine-api.js';
import { errorResponses } from '../schemas/common.js';
import { scenarioListSchema } from '../schemas/scenario.js';

export function registerScenarioRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get('/api/scenarios', {
    schema: { response: { 200: scenarioListSchema, ...errorResponses } },
  }, async () => {
    const items = engine.listScenarios();
    return { items, total: items.length };
  });
}
