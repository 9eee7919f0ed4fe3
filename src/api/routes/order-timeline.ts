import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../engine-api.js';

// TODO(helper timeline): routes are being written.
export function registerOrderTimelineRoutes(_app: FastifyInstance, _engine: EngineApi): void {}
