import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../engine-api.js';

// TODO(helper webhooks): routes are being written.
export function registerDeliveryRoutes(_app: FastifyInstance, _engine: EngineApi): void {}
