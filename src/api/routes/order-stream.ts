import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../engine-api.js';

// TODO(helper SSE): routes are being written.
export function registerOrderStreamRoutes(_app: FastifyInstance, _engine: EngineApi): void {}
