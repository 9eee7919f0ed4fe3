import { LEVELS, type Level } from '../contracts/level.js';
import { deviceTypeNames } from '../catalogue/device-catalogue.js';
import type { DeviceType } from '../contracts/registry.js';

/**
 * The YAML form of a scenario (what operators write in `rules/*.yaml`), as JSON Schema draft
 * 2020-12. This object is the published documentation: `schemas/scenario.schema.json` is a copy
 * (a test keeps them equal) that editors use for completion and inline validation.
 *
 * Layout: every field is declared once under the top-level `properties` (so `additionalProperties:
 * false` catches typos and every field carries its description); the `allOf` if/then branches,
 * one per model, narrow `levels` and switch off the fields of the other models. A discriminator
 * (rather than `oneOf`) keeps errors precise: a threshold file is only checked as a threshold.
 */

/** `90s`, `15m`, `8h`, `1h30m`, `3d`, `500ms` — the grammar of `core/duration.ts` (`isDuration`). */
export { DURATION_PATTERN } from '../core/duration.js';
import { DURATION_PATTERN } from '../core/duration.js';
/** 24-hour time of day, `00:00`–`23:59`. */
export const TIME_OF_DAY_PATTERN = '^(?:[01]\\d|2[0-3]):[0-5]\\d$';
export const SCENARIO_ID_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** A CEL identifier, so that `metrics.<name>` works for every metric. */
export const METRIC_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const MODELS = ['threshold', 'inactivity', 'offline'] as const;

/** Values used when a file leaves a field out; the schema's `default` annotations show the same. */
export const SCENARIO_DEFAULTS = {
  keyBy: 'device',
  cooldown: '0s',
  flapping: { maxChanges: 6, window: '1h' },
  dispatch: true,
  maxSilence: '1h',
  maxGap: '1h',
} as const;

/** Fields that only one model reads; the others reject them. */
export const MODEL_FIELDS: Readonly<Record<(typeof MODELS)[number], readonly string[]>> = {
  threshold: ['metric', 'for', 'reset', 'maxGap'],
  inactivity: ['active', 'activeHours', 'maxSilence'],
  offline: [],
};

const levelMap = (description: string, value: Record<string, unknown>) => ({
  type: 'object',
  description,
  properties: Object.fromEntries(LEVELS.map((level) => [level, { ...value, description: `${value.description as string} (${level})` }])),
  additionalProperties: false,
});

const notFor = (model: string) =>
  Object.fromEntries(
    Object.entries(MODEL_FIELDS)
      .filter(([owner]) => owner !== model)
      .flatMap(([, fields]) => fields.map((field) => [field, false])),
  );

export const scenarioSchema = {
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
      description:
        'How the scenario decides. threshold: CEL conditions on each reading, optionally held for a while. ' +
        'inactivity: no activity reading for a time (inside active hours). offline: no message at all for a time.',
      enum: [...MODELS],
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
    metric: {
      type: 'string',
      description: '(threshold only) Metric bound to `value` in the level and reset expressions. Without it, expressions use `metrics.<name>`.',
      pattern: METRIC_NAME_PATTERN,
      examples: ['gas_lel_pct', 'flow_lpm'],
    },
    levels: {
      type: 'object',
      description:
        'Per level (blue, yellow, orange, red), at least one. threshold: the CEL raise condition, checked highest level first. ' +
        'inactivity: the inactive time at which the level is reached. offline: the silence at which the level is reached. ' +
        'Durations must grow with the level.',
      minProperties: 1,
    },
    for: levelMap('(threshold only) Per level: how long (event time) the raise condition must hold before the level is raised.', {
      $ref: '#/$defs/duration',
      description: 'Hold time',
    }),
    reset: levelMap(
      '(threshold only) Per level: the level is left only when this CEL condition holds (hysteresis, so a value hovering ' +
        'at the threshold does not flap). Default: the raise condition is false.',
      { $ref: '#/$defs/cel', description: 'Reset condition' },
    ),
    active: {
      $ref: '#/$defs/cel',
      description: '(inactivity only) CEL condition over a reading (`metrics`, `ts`, `device`, `subject`, `place`): the readings that count as activity.',
      examples: ['metrics.flow_lpm > 0.1'],
    },
    activeHours: {
      type: 'object',
      description:
        "(inactivity only) Daily window, in the place's time zone, in which inactive time is counted; `to` before `from` " +
        'spans midnight. Absent: the whole day counts.',
      required: ['from', 'to'],
      properties: {
        from: { type: 'string', description: 'Start of the window, HH:MM (24 h).', pattern: TIME_OF_DAY_PATTERN },
        to: { type: 'string', description: 'End of the window, HH:MM (24 h).', pattern: TIME_OF_DAY_PATTERN },
      },
      additionalProperties: false,
    },
    maxGap: {
      $ref: '#/$defs/duration',
      description:
        '(threshold only) A `for` duration counts only while readings confirming the condition arrive at most this far apart; ' +
        "a longer gap restarts it, so a silent device never completes one. Must exceed the device's reporting interval.",
      default: SCENARIO_DEFAULTS.maxGap,
    },
    maxSilence: {
      $ref: '#/$defs/duration',
      description:
        '(inactivity only) A gap between readings longer than this is silence (the device may be offline), not inactivity: ' +
        "only this much of such a gap is counted. Must exceed the device's reporting interval.",
      default: SCENARIO_DEFAULTS.maxSilence,
    },
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
  allOf: [
    {
      if: { properties: { model: { const: 'threshold' } }, required: ['model'] },
      then: {
        properties: {
          levels: levelMap('Raise condition per level (CEL), checked highest level first.', {
            $ref: '#/$defs/cel',
            description: 'Raise condition',
          }),
          ...notFor('threshold'),
        },
      },
    },
    {
      if: { properties: { model: { const: 'inactivity' } }, required: ['model'] },
      then: {
        required: ['active'],
        properties: {
          levels: levelMap('Inactive time (counted inside active hours only) at which each level is reached.', {
            $ref: '#/$defs/duration',
            description: 'Inactive time',
          }),
          ...notFor('inactivity'),
        },
      },
    },
    {
      if: { properties: { model: { const: 'offline' } }, required: ['model'] },
      then: {
        properties: {
          levels: levelMap('Silence (no message at all) after which each level is reached.', {
            $ref: '#/$defs/duration',
            description: 'Silence',
          }),
          ...notFor('offline'),
        },
      },
    },
  ],
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
} as const;

// --- the YAML form as TypeScript (what the schema accepts) ----------------------------------

export type LevelMap<T> = Partial<Record<Level, T>>;

interface ScenarioDocumentBase {
  id: string;
  name: string;
  description?: string;
  category: string;
  appliesTo: { deviceTypes: DeviceType[]; when?: string };
  keyBy?: 'device' | 'subject';
  alert?: { cooldown?: string; flapping?: { maxChanges?: number; window?: string } };
  dispatch?: boolean;
}

export interface ThresholdScenarioDocument extends ScenarioDocumentBase {
  model: 'threshold';
  metric?: string;
  levels: LevelMap<string>;
  for?: LevelMap<string>;
  reset?: LevelMap<string>;
  maxGap?: string;
}

export interface InactivityScenarioDocument extends ScenarioDocumentBase {
  model: 'inactivity';
  active: string;
  levels: LevelMap<string>;
  activeHours?: { from: string; to: string };
  maxSilence?: string;
}

export interface OfflineScenarioDocument extends ScenarioDocumentBase {
  model: 'offline';
  levels: LevelMap<string>;
}

/** A scenario file that passed the schema. */
export type ScenarioDocument = ThresholdScenarioDocument | InactivityScenarioDocument | OfflineScenarioDocument;
