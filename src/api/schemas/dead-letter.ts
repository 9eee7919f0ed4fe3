import { pagingProperties } from './common.js';

export const deadLetterQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: 'string', minLength: 1, maxLength: 100, description: 'a dead-letter reason (bad_topic, too_large, unknown_device, malformed, schema, clock_skew, internal) or its error code, e.g. ERR_PAYLOAD_SCHEMA' },
    ...pagingProperties,
  },
} as const;

export interface DeadLetterQuerystring {
  reason?: string;
  limit: number;
  offset: number;
}

export const deadLetterPageSchema = {
  type: 'object',
  required: ['items', 'total', 'counts', 'limit', 'offset'],
  properties: {
    // Dead letters are whatever ingest kept (topic, reason, payload excerpt, ...): passed through as is.
    items: { type: 'array', items: {} },
    total: { type: 'integer' },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
  },
} as const;
