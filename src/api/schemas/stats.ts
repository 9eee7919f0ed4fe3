import { LEVELS } from '../../contracts/level.js';
import { STATS_GROUP_BY, type StatsGroupBy } from '../../contracts/stats.js';
import { listPattern } from '../query-params.js';
import { idValueSchema, instantSchema } from './common.js';

export const statsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scenario: idValueSchema,
    level: { type: 'string', pattern: listPattern(LEVELS), description: 'comma-separated: yellow,red' },
    place: { ...idValueSchema, description: 'matches the place, grid, community or street' },
    from: { ...instantSchema, description: 'alerts opened / orders created at or after (epoch ms or RFC 3339)' },
    to: { ...instantSchema, description: 'alerts opened / orders created before' },
    groupBy: { type: 'string', enum: STATS_GROUP_BY, description: 'also break the figures down by this' },
  },
} as const;

export interface StatsQuerystring {
  scenario?: string;
  level?: string;
  place?: string;
  from?: string;
  to?: string;
  groupBy?: StatsGroupBy;
}

const rate = { type: ['number', 'null'], minimum: 0, maximum: 1 } as const;
const ms = { type: ['number', 'null'], description: 'ms; null without samples' } as const;

const durationSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'median', 'p90'],
  properties: { count: { type: 'integer' }, median: ms, p90: ms },
} as const;

// Every field listed: fastify's serialiser drops what the response schema does not name.
const figureProperties = {
  alerts: { type: 'integer' },
  orders: { type: 'integer' },
  closed: { type: 'integer', description: '办结: resolved, or closed after being resolved' },
  closureRate: { ...rate, description: '办结率: closed / (orders − falseAlarms − cancelled)' },
  onTimeRate: { ...rate, description: 'of closed orders, resolved by the resolution deadline with none missed' },
  timeToAccept: { ...durationSummarySchema, description: 'created → accepted; nearest-rank median and p90' },
  timeToResolve: { ...durationSummarySchema, description: 'created → resolved, closed orders only' },
  overdue: { type: 'integer', description: 'orders that missed at least one deadline' },
  falseAlarms: { type: 'integer' },
  falseAlarmRate: { ...rate, description: 'false alarms / orders with a handler\'s verdict (closed or false alarm)' },
  cancelled: { type: 'integer' },
  open: { type: 'integer' },
} as const;

const figureKeys = Object.keys(figureProperties) as Array<keyof typeof figureProperties>;

export const statsReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['query', 'total'],
  properties: {
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        scenario: { type: 'string' },
        level: { type: 'array', items: { type: 'string', enum: LEVELS } },
        place: { type: 'string' },
        from: { type: 'number' },
        to: { type: 'number' },
        groupBy: { type: 'string', enum: STATS_GROUP_BY },
      },
    },
    total: { type: 'object', additionalProperties: false, required: figureKeys, properties: figureProperties },
    groups: {
      type: 'array',
      description: 'with groupBy: one row per value, most orders first; "" collects rows without a grid / community',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', ...figureKeys],
        properties: { key: { type: 'string' }, ...figureProperties },
      },
    },
  },
} as const;
