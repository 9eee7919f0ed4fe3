import type { FastifyInstance } from 'fastify';
import type { AlertStatus } from '../../contracts/alert.js';
import type { Level } from '../../contracts/level.js';
import { ERR_NOT_FOUND } from '../../core/errors.js';
import type { AlertQuery, EngineApi } from '../../contracts/engine-api.js';
import { parseInstant, splitList } from '../query-params.js';
import { alertListQuerySchema, alertSchema, type AlertListQuerystring } from '../schemas/alert.js';
import { errorResponses, idParamsSchema, pageSchema, type IdParams } from '../schemas/common.js';

export function toAlertQuery(qs: AlertListQuerystring): AlertQuery {
  return {
    level: splitList<Level>(qs.level),
    status: splitList<AlertStatus>(qs.status),
    scenario: qs.scenario,
    place: qs.place,
    from: parseInstant(qs.from, 'from'),
    to: parseInstant(qs.to, 'to'),
    limit: qs.limit,
    offset: qs.offset,
  };
}

export function registerAlertRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Querystring: AlertListQuerystring }>('/api/alerts', {
    schema: { querystring: alertListQuerySchema, response: { 200: pageSchema(alertSchema), ...errorResponses } },
  }, async (request) => engine.listAlerts(toAlertQuery(request.query)));

  app.get<{ Params: IdParams }>('/api/alerts/:id', {
    schema: { params: idParamsSchema, response: { 200: alertSchema, ...errorResponses } },
  }, async (request) => {
    const alert = engine.getAlert(request.params.id);
    if (!alert) throw ERR_NOT_FOUND('alert', request.params.id);
    return alert;
  });
}
