import type { FastifyInstance } from 'fastify';
import type { Level } from '../../contracts/level.js';
import type { StatsQuery } from '../../contracts/stats.js';
import type { EngineApi } from '../../contracts/engine-api.js';
import { parseInstant, splitList } from '../query-params.js';
import { errorResponses } from '../schemas/common.js';
import { statsQuerySchema, statsReportSchema, type StatsQuerystring } from '../schemas/stats.js';

export function toStatsQuery(qs: StatsQuerystring): StatsQuery {
  const query: StatsQuery = {};
  if (qs.scenario !== undefined) query.scenario = qs.scenario;
  const levels = splitList<Level>(qs.level);
  if (levels !== undefined) query.level = levels;
  if (qs.place !== undefined) query.place = qs.place;
  const from = parseInstant(qs.from, 'from');
  if (from !== undefined) query.from = from;
  const to = parseInstant(qs.to, 'to');
  if (to !== undefined) query.to = to;
  if (qs.groupBy !== undefined) query.groupBy = qs.groupBy;
  return query;
}

export function registerStatsRoutes(app: FastifyInstance, engine: EngineApi): void {
  app.get<{ Querystring: StatsQuerystring }>('/api/stats', {
    schema: { querystring: statsQuerySchema, response: { 200: statsReportSchema, ...errorResponses } },
  }, async (request) => engine.stats(toStatsQuery(request.query)));
}
