import type { FastifyInstance } from 'fastify';
import type { EngineApi } from '../engine-api.js';

// TODO(helper policy): routes are being written.
export function registerDispatchPolicyRoutes(_app: FastifyInstance, _engine: EngineApi): void {}
