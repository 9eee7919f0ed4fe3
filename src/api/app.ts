import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { EngineApi } from '../contracts/engine-api.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';
import { registerDispatchPolicyRoutes } from './routes/dispatch-policy.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerOrderStreamRoutes } from './routes/order-stream.js';
import { registerOrderTimelineRoutes } from './routes/order-timeline.js';
import { registerScenarioRoutes } from './routes/scenarios.js';
import { registerStatsRoutes } from './routes/stats.js';

export interface BuildAppOptions {
  /** A pino (or compatible) logger, `true` for fastify's own, `false`/absent for none. */
  logger?: FastifyBaseLogger | boolean;
}

/** Route groups, registered in this order. */
const routeGroups = [
  registerHealthRoutes,
  registerAlertRoutes,
  registerOrderRoutes,
  registerOrderStreamRoutes,
  registerOrderTimelineRoutes,
  registerStatsRoutes,
  registerScenarioRoutes,
  registerDeadLetterRoutes,
  registerDeliveryRoutes,
  registerDispatchPolicyRoutes,
] as const;

/**
 * The HTTP API over an engine, built apart from listening: tests call `app.inject()`, only main.ts
 * calls `listen()`.
 *
 * Request logging stays fastify's default (method, url, status code, response time), which never
 * includes bodies: order bodies carry residents' contact data.
 */
export function buildApp(engine: EngineApi, options: BuildAppOptions = {}): FastifyInstance {
  const logger = options.logger ?? false;
  const common = {
    // PATCH bodies are a status and a note; nothing legitimate comes near this.
    bodyLimit: 64 * 1024,
  };
  const app: FastifyInstance = typeof logger === 'boolean'
    ? Fastify({ ...common, logger })
    : Fastify({ ...common, loggerInstance: logger });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  for (const register of routeGroups) register(app, engine);
  return app;
}
