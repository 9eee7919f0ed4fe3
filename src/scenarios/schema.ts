import { LEVELS } from '../contracts/level.js';
import type { ModelKind } from '../contracts/scenario.js';
import { deviceTypeNames } from '../catalogue/device-catalogue.js';
import { DURATION_PATTERN } from '../core/duration.js';
import { MODEL_KINDS, MODEL_NAMES } from '../models/model-kinds.js';
import { levelMapSchema } from '../models/scenario-fields.js';

/**
 * The YAML form of a scenario (what operators write in `rules/*.yaml`), as JSON Schema draft
 * 2020-12, generated from the model registry (`models/model-kinds.ts`). This object is the
 * published documentation: `schemas/scenario.schema.json` is a copy (a test keeps them equal) that
 * editors use for completion and inline validation.
 *
 * Layout: every field is declared once under the top-level `properties` (so `additionalProperties:
 * false` catches typos and every field carries its description) — the common fields, then each
 * model kind's own; the `allOf` if/then branches, one per kind, narrow `levels`, require the kind's
 * fields and switch off the fields of the other kinds. A discriminator (rather than `oneOf`) keeps
 * errors precise: a threshold file is only checked as a threshold.
 */

/** `90s`, `15m`, `8h`, `1h30m`, `3d`, `500ms` — the grammar of `core/duration.ts` (`isDuration`). */
export { DURATION_PATTERN } from '../core/duration.js';
/** 24-hour time of day, `00:00`–`23:59`. */
export { TIME_OF_DAY_PATTERN } from '../models/scenario-fields.js';
export const SCENARIO_ID_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** A CEL identifier, so that `metrics.<name>` works for every metric. */
export { METRIC_NAME_PATTERN } from '../models/scenario-fields.js';

/** The model kinds, in the order the schema lists them. */
export const MODELS: readonly ModelKind[] = MODEL_NAMES;

/** Fields that only one model kind reads; the other kinds reject them. */
export const MODEL_FIELDS = Object.fromEntries(MODEL_NAMES.map((kind) => [kind, Object.keys(MODEL_KINDS[kind].fields)])) as unknown as Readonly<Record<ModelKind, readonly string[]>>;

/** Values used when a file leaves a field out — the common ones and each kind's; the schema's `default` annotations show the same. */
export const SCENARIO_DEFAULTS = {
  keyBy: 'device',
  cooldown: '0s',
  flapping: { maxChanges: 6, window: '1h' },
  dispatch: true,
  ...Object.assign({}, ...MODEL_NAMES.map((kind) => MODEL_KINDS[kind].defaults)),
} as { keyBy: 'device'; cooldown: string; flapping: { maxChanges: number; window: string }; dispatch: boolean; [field: string]: unknown };

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Fields of the other kinds, switched off (`false`) in a kind's branch. */
const notFor = (kind: ModelKind) =>
  Object.fromEntries(MODEL_NAMES.filter((other) => other !== kind).flatMap((other) => MODEL_FIELDS[other].map((field) => [field, false])));

/** The published schema: a JSON document, read as such (tests walk it by field name). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonSchemaDocument = Record<string, any>;

export const scenarioSchema: JsonSchemaDocument = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:riskwatch:schema:scenario:v1',
  title: 'riskwatch scenario',
  description:
    'One risk scenario per YAML file in rules/: which devices it watches, the model that decides, and the level ' +
    '(blue < yellow < orange < red) each finding raises. Durations are strings such as 90s, 15m, 8h, 1h30m, 3d; ' +
    'expressions are CEL (https://cel.dev).',
  type: 'object',
  required: ['id', 'name', 'category', 'model', 'appliesTo', 'levels'],
  properties: {
    id: {
      type: 'string',
      description: 'Stable identifier: lowercase letters, digits and dashes; unique across the rules directory. Alerts and orders refer to it.',
      pattern: SCENARIO_ID_PATTERN,
      maxLength: 64,
      examples: ['gas-concentration'],
    },
    name: { type: 'string', description: 'Short human-readable title shown on alerts and orders.', minLength: 1 },
    description: { type: 'string', description: 'What the scenario detects and why its thresholds are what they are.' },
    category: {
      type: 'string',
      description: 'Grouping used by dispatch policy and statistics, one lowercase word: water, gas, fire, elderly_care, device, security, ...',
      pattern: '^[a-z][a-z0-9_]*$',
      examples: ['gas', 'elderly_care'],
    },
    model: {
      type: 'string',
      description: `How the scenario decides. ${MODEL_NAMES.map((kind) => `${MODEL_KINDS[kind].summary}.`).join(' ')}`,
      enum: [...MODEL_NAMES],
    },
    appliesTo: {
      type: 'object',
      description: 'Which devices the scenario watches.',
      required: ['deviceTypes'],
      properties: {
        deviceTypes: {
          type: 'array',
          description: 'Device types the scenario reads.',
          items: { type: 'string', description: 'A device type of the device catalogue (catalogue/device-types.yaml).', enum: [...deviceTypeNames()] },
          minItems: 1,
          uniqueItems: true,
        },
        when: {
          $ref: '#/$defs/cel',
          description:
            'CEL condition over `subject`, `device` and `place` (no readings), evaluated once per device; the scenario ignores ' +
            'devices for which it is false. Subject fields: id, kind, livingAlone, age, tags, attributes.',
          examples: ['subject.livingAlone && has(subject.age) && subject.age >= 60'],
        },
      },
      additionalProperties: false,
    },
    keyBy: {
      type: 'string',
      description: 'Alert key: one alert per device, or one per subject (household / person) across all its devices.',
      enum: ['device', 'subject'],
      default: SCENARIO_DEFAULTS.keyBy,
    },
    levels: {
      type: 'object',
      description:
        `Per level (${LEVELS.join(', ')}), at least one. ${MODEL_NAMES.map((kind) => `${kind}: ${lowerFirst(MODEL_KINDS[kind].levels.description)}`).join(' ')} ` +
        'Durations must grow with the level.',
      minProperties: 1,
    },
    ...Object.assign({}, ...MODEL_NAMES.map((kind) => MODEL_KINDS[kind].fields)),
    alert: {
      type: 'object',
      description: 'How detections become alerts.',
      properties: {
        cooldown: {
          $ref: '#/$defs/duration',
          description: 'After an alert clears, a new detection at or below its peak level within this time is suppressed.',
          default: SCENARIO_DEFAULTS.cooldown,
        },
        flapping: {
          type: 'object',
          description: 'More than `maxChanges` level changes within `window` marks the alert flapping: it stays open.',
          properties: {
            maxChanges: {
              type: 'integer',
              description: 'Level changes tolerated within the window.',
              minimum: 1,
              default: SCENARIO_DEFAULTS.flapping.maxChanges,
            },
            window: { $ref: '#/$defs/duration', description: 'The sliding window.', default: SCENARIO_DEFAULTS.flapping.window },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    dispatch: {
      type: 'boolean',
      description: 'Whether alerts of this scenario become dispatch orders for the grid / community / street tier.',
      default: SCENARIO_DEFAULTS.dispatch,
    },
  },
  additionalProperties: false,
  allOf: MODEL_NAMES.map((kind) => {
    const definition = MODEL_KINDS[kind];
    return {
      if: { properties: { model: { const: kind } }, required: ['model'] },
      then: {
        ...(definition.required && definition.required.length > 0 ? { required: [...definition.required] } : {}),
        properties: { levels: levelMapSchema(definition.levels.description, { ...definition.levels.value }), ...notFor(kind) },
      },
    };
  }),
  $defs: {
    duration: {
      type: 'string',
      description: 'A duration: one or more <number><unit> parts, units ms, s, m, h, d, w (e.g. 90s, 15m, 8h, 1h30m, 3d).',
      pattern: DURATION_PATTERN,
    },
    cel: {
      type: 'string',
      description:
        'A CEL expression (https://cel.dev) that yields a bool. Variables: `value` (threshold with `metric`), `metrics`, `ts`, ' +
        '`device`, `subject`, `place`. Metric values are doubles: write `metrics.flow_lpm * 60.0`, not `* 60`.',
      minLength: 1,
    },
  },
};

