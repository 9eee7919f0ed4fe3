import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../contracts/queries.js';

/** Body of every error response: a stable `code` clients can switch on (see core/errors.ts). */
export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** The error responses every route may give; listed so clients and docs see the shape. */
export const errorResponses = {
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;

/** Querystring properties shared by list endpoints. */
export const pagingProperties = {
  limit: { type: 'integer', minimum: 0, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

/** `/:id` route parameters. */
export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export interface IdParams {
  id: string;
}

/** An instant in a querystring: epoch milliseconds or RFC 3339 with a zone. */
export const instantSchema = {
  type: 'string',
  anyOf: [{ pattern: '^[0-9]{1,15}$' }, { format: 'date-time' }],
} as const;

/** A free identifier in a querystring (scenario id, place id). */
export const idValueSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export function pageSchema<S extends object>(itemSchema: S) {
  return {
    type: 'object',
    required: ['items', 'total', 'limit', 'offset'],
    properties: {
      items: { type: 'array', items: itemSchema },
      total: { type: 'integer' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
  } as const;
}
