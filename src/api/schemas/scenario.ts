/**
 * A scenario as loaded from its YAML file (normalised: durations in ms, defaults filled in). The
 * model-specific fields (levels, reset, activeHours, ...) pass through unchanged.
 */
export const scenarioSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'name', 'model'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    category: { type: 'string' },
    model: { type: 'string' },
    appliesTo: { type: 'object', additionalProperties: true },
    keyBy: { type: 'string', enum: ['device', 'subject'] },
    alert: { type: 'object', additionalProperties: true },
    dispatch: { type: 'boolean' },
    source: { type: 'string' },
  },
} as const;

export const scenarioListSchema = {
  type: 'object',
  required: ['items', 'total'],
  properties: {
    items: { type: 'array', items: scenarioSchema },
    total: { type: 'integer' },
  },
} as const;
