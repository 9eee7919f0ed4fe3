export const healthSchema = {
  type: 'object',
  required: ['status', 'uptimeMs', 'broker', 'counters'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    uptimeMs: { type: 'number' },
    broker: {
      type: 'object',
      required: ['kind', 'connected'],
      properties: {
        kind: { type: 'string', enum: ['embedded', 'external'] },
        connected: { type: 'boolean' },
      },
    },
    counters: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;
