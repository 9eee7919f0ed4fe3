import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../engine-api.js';

// TODO(helper stats): routes are being written.
export function registerStatsRoutes(_app: FastifyInstance, _engine: EngineApi): void {}
