import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../../contracts/engine-api.js';
import { errorResponses } from '../schemas/common.js';

/** The running dispatch policy: where it came from, its rules, when it was loaded (engine clock). */
export const dispatchPolicyInfoSchema = {
  type: 'object',
  required: ['source', 'rules', 'loadedAt'],
  properties: {
    source: { type: 'string', description: 'The policy file, or built-in.' },
    rules: { type: 'array', items: { type: 'string' }, description: 'Rule names, in file order.' },
    loadedAt: { type: 'integer', description: 'Epoch ms (engine clock) of the last successful load.' },
  },
} as const;

export function registerDispatchPolicyRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get('/api/dispatch-policy', {
    schema: { response: { 200: dispatchPolicyInfoSchema, ...errorResponses } },
  }, async () => engine.dispatchPolicy());

  // Re-reads the policy file. A bad file answers 400 ERR_POLICY_INVALID with file, line and field
  // in `details` (the error handler maps coded errors) and the running policy stays in force.
  app.post('/api/dispatch-policy/reload', {
    schema: { response: { 200: dispatchPolicyInfoSchema, ...errorResponses } },
  }, async () => engine.reloadDispatchPolicy());
}
