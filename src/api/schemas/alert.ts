import { LEVELS } from '../../contracts/level.js';
import { listPattern } from '../query-params.js';
import { idValueSchema, instantSchema, pagingProperties } from './common.js';

const ALERT_STATUSES = ['open', 'cleared'] as const;

/**
 * An alert as the API returns it. The top-level fields are described for clients and docs; nested
 * objects and anything added later pass through (`additionalProperties: true`), so the compiled
 * serializer never strips data.
 */
export const alertSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'scenarioId', 'key', 'level', 'status', 'openedAt', 'updatedAt', 'placeId'],
  properties: {
    id: { type: 'string' },
    scenarioId: { type: 'string' },
    scenarioName: { type: 'string' },
    category: { type: 'string' },
    key: { type: 'string', description: 'device id or subject id, depending on the scenario keyBy' },
    level: { type: 'string', enum: LEVELS },
    peakLevel: { type: 'string', enum: LEVELS },
    status: { type: 'string', enum: ALERT_STATUSES },
    openedAt: { type: 'number', description: 'epoch ms' },
    updatedAt: { type: 'number' },
    clearedAt: { type: 'number' },
    deviceId: { type: 'string' },
    subjectId: { type: 'string' },
    placeId: { type: 'string' },
    gridId: { type: 'string' },
    communityId: { type: 'string' },
    streetId: { type: 'string' },
    summary: { type: 'string' },
    evidence: { type: 'object', additionalProperties: true },
    flapping: { type: 'boolean' },
    history: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const alertListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: { type: 'string', pattern: listPattern(LEVELS), description: 'comma-separated: red,orange' },
    status: { type: 'string', pattern: listPattern(ALERT_STATUSES) },
    scenario: idValueSchema,
    place: { ...idValueSchema, description: 'matches the place, grid, community or street' },
    from: { ...instantSchema, description: 'openedAt ≥ from (epoch ms or RFC 3339)' },
    to: { ...instantSchema, description: 'openedAt < to' },
    ...pagingProperties,
  },
} as const;

export interface AlertListQuerystring {
  level?: string;
  status?: string;
  scenario?: string;
  place?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}
