import { LEVELS } from '../../contracts/level.js';
import type { OrderStatus } from '../../contracts/order.js';
import type { Tier } from '../../contracts/registry.js';
import { ORDER_STATUS_UPDATES } from '../engine-api.js';
import { listPattern } from '../query-params.js';
import { idValueSchema, instantSchema, pagingProperties } from './common.js';

export const ORDER_STATUSES = [
  'created', 'dispatched', 'accepted', 'in_progress', 'resolved', 'closed',
  'rejected', 'false_alarm', 'cancelled', 'escalated',
] as const satisfies readonly OrderStatus[];

export const TIERS = ['grid', 'community', 'street'] as const satisfies readonly Tier[];

/**
 * A dispatch order as the API returns it. `subject.contact` and `assignee.person/phone` are
 * personal data: allowed here because the dispatch system needs them, and the reason request and
 * response bodies are never logged. Nested objects pass through (`additionalProperties: true`).
 */
export const orderSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'alertId', 'scenarioId', 'level', 'tier', 'status', 'createdAt', 'updatedAt', 'version', 'placeId'],
  properties: {
    id: { type: 'string' },
    alertId: { type: 'string' },
    scenarioId: { type: 'string' },
    scenarioName: { type: 'string' },
    category: { type: 'string' },
    level: { type: 'string', enum: LEVELS },
    priority: { type: 'integer', minimum: 1, maximum: 4 },
    tier: { type: 'string', enum: TIERS },
    assignee: { type: 'object', additionalProperties: true },
    notify: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ORDER_STATUSES },
    createdAt: { type: 'number', description: 'epoch ms' },
    updatedAt: { type: 'number' },
    responseDueAt: { type: 'number' },
    resolutionDueAt: { type: 'number' },
    version: { type: 'integer' },
    deviceId: { type: 'string' },
    placeId: { type: 'string' },
    gridId: { type: 'string' },
    communityId: { type: 'string' },
    streetId: { type: 'string' },
    subject: { type: 'object', additionalProperties: true },
    summary: { type: 'string' },
    history: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const orderListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: { type: 'string', pattern: listPattern(LEVELS), description: 'comma-separated: red,orange' },
    status: { type: 'string', pattern: listPattern(ORDER_STATUSES) },
    scenario: idValueSchema,
    place: { ...idValueSchema, description: "matches the order's place, grid, community, street or assignee place" },
    tier: { type: 'string', pattern: listPattern(TIERS) },
    from: { ...instantSchema, description: 'createdAt ≥ from (epoch ms or RFC 3339)' },
    to: { ...instantSchema, description: 'createdAt < to' },
    ...pagingProperties,
  },
} as const;

export interface OrderListQuerystring {
  level?: string;
  status?: string;
  scenario?: string;
  place?: string;
  tier?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export const orderStatusUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ORDER_STATUS_UPDATES },
    note: { type: 'string', maxLength: 2000 },
    by: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export interface OrderStatusUpdateBody {
  status: (typeof ORDER_STATUS_UPDATES)[number];
  note?: string;
  by?: string;
}
