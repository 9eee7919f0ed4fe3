import { DURATION_PATTERN } from '../core/duration.js';
import { TIME_OF_DAY_PATTERN } from '../core/local-time.js';

/**
 * The YAML form of the device catalogue (`catalogue/device-types.yaml`) as JSON Schema draft
 * 2020-12. The single source of truth: `schemas/device-catalogue.schema.json` is a copy (a test
 * keeps them equal) that editors use for completion and inline validation. What a schema cannot
 * say well — that a type's metrics are declared, that a generator fits its metric, that the
 * simulated activity agrees with the declared one — `catalogue-file.ts` checks after it.
 */

/** Metric and device type names: what devices send and CEL reads (`metrics.flow_lpm`), ASCII only. */
export const CATALOGUE_NAME_PATTERN = '^[a-z][a-z0-9_]*$';

const text = (description: string) => ({ type: 'string', minLength: 1, maxLength: 200, description });

/** A low and a high bound, or one value. */
const range = (description: string) => ({
  description,
  oneOf: [
    { type: 'number' },
    { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
  ],
});

/** JSON Schema of `catalogue/device-types.yaml`; published as `schemas/device-catalogue.schema.json`. */
export const deviceCatalogueSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:riskwatch:schema:device-catalogue:v1',
  title: 'riskwatch device catalogue',
  description:
    'Every device type riskwatch accepts and every metric they report (catalogue/device-types.yaml). The engine derives ' +
    'payload validation, registry and scenario device types, timeline labels and simulation from it.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'metrics', 'types'],
  properties: {
    version: { const: 1, description: 'Format version of this file: 1.' },
    metrics: {
      type: 'object',
      description: 'Every metric, declared once by its name (which carries its unit: flow_lpm, gas_lel_pct).',
      minProperties: 1,
      propertyNames: { type: 'string', pattern: CATALOGUE_NAME_PATTERN },
      additionalProperties: { $ref: '#/$defs/metric' },
    },
    types: {
      type: 'object',
      description: 'Every device type, by the name registries and scenarios use (water_meter).',
      minProperties: 1,
      propertyNames: { type: 'string', pattern: CATALOGUE_NAME_PATTERN },
      additionalProperties: { $ref: '#/$defs/deviceType' },
    },
  },
  $defs: {
    label: {
      type: 'object',
      description: 'Text in Chinese and English.',
      additionalProperties: false,
      required: ['zh', 'en'],
      properties: { zh: text('Chinese.'), en: text('English.') },
    },
    metric: {
      type: 'object',
      description: 'One metric: its value type, unit, valid range and labels.',
      additionalProperties: false,
      required: ['type', 'description', 'label'],
      properties: {
        type: { enum: ['number', 'boolean'], description: 'number or boolean.' },
        unit: { type: 'string', minLength: 1, maxLength: 20, description: 'Shown after the value (numbers only): L/min, %LEL, °C.' },
        minimum: { type: 'number', description: 'Readings below are rejected (numbers only).' },
        maximum: { type: 'number', description: 'Readings above are rejected (numbers only).' },
        description: text('What the value is; published in the telemetry payload schema.'),
        label: { $ref: '#/$defs/label', description: 'How timelines name the metric.' },
        states: {
          type: 'object',
          description: 'Booleans only (and required for them): the words for true and for false.',
          additionalProperties: false,
          required: ['true', 'false'],
          properties: {
            true: { $ref: '#/$defs/label', description: 'The word for true (open, sounding).' },
            false: { $ref: '#/$defs/label', description: 'The word for false (closed, silent).' },
          },
        },
        diagnostic: { type: 'boolean', description: 'About the device itself (battery, radio) rather than what it measures. Default false.' },
      },
    },
    deviceType: {
      type: 'object',
      description: 'One device type.',
      additionalProperties: false,
      required: ['label', 'metrics', 'reportEvery', 'batches', 'reportsOnEvent', 'simulation'],
      properties: {
        label: { $ref: '#/$defs/label', description: 'The name of the type.' },
        description: text('Optional notes on the type.'),
        metrics: {
          type: 'array',
          description: 'The metrics the type may report, each declared under metrics.',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', pattern: CATALOGUE_NAME_PATTERN, description: 'A metric name.' },
        },
        reportEvery: { type: 'string', pattern: DURATION_PATTERN, description: 'Usual reporting (or heartbeat) interval: 15m, 1h.' },
        batches: { type: 'boolean', description: 'Uploads NB-IoT batches of intervals ({"readings": [...]}) when simulated with --batch.' },
        reportsOnEvent: { type: 'boolean', description: 'Reports at once when something happens, not only at the next interval (detectors).' },
        activity: { $ref: '#/$defs/activity', description: 'The reading that shows someone is at home and well, for inactivity scenarios.' },
        simulation: { $ref: '#/$defs/simulation', description: 'How a simulator makes plausible readings of the type.' },
      },
    },
    activity: {
      type: 'object',
      description: 'metric with above (numbers) or is (booleans), and the noun alerts use.',
      additionalProperties: false,
      required: ['metric', 'noun'],
      properties: {
        metric: { type: 'string', pattern: CATALOGUE_NAME_PATTERN, description: "One of the type's metrics." },
        above: { type: 'number', description: 'Activity when the number is above this.' },
        is: { type: 'boolean', description: 'Activity when the boolean is this.' },
        noun: { $ref: '#/$defs/label', description: 'What the activity is called: 用水 / water use.' },
      },
    },
    simulation: {
      type: 'object',
      description: 'Ordinary readings, the share showing activity, and the alarm reading.',
      additionalProperties: false,
      required: ['normal'],
      properties: {
        normal: { $ref: '#/$defs/readingGenerators', description: 'The metrics of an ordinary reading, each a generator.' },
        active: {
          type: 'object',
          description: 'Readings that show the activity.',
          additionalProperties: false,
          required: ['chance', 'set'],
          properties: {
            chance: { type: 'number', minimum: 0, maximum: 1, description: 'Share of readings (inside hours) that show the activity.' },
            hours: {
              type: 'object',
              description: 'Local time of day when the activity happens; all day when absent.',
              additionalProperties: false,
              required: ['from', 'to'],
              properties: {
                from: { type: 'string', pattern: TIME_OF_DAY_PATTERN, description: 'Start, 24-hour time.' },
                to: { type: 'string', pattern: TIME_OF_DAY_PATTERN, description: 'End (exclusive), 24-hour time.' },
              },
            },
            set: { $ref: '#/$defs/readingGenerators', description: 'Generators that replace the normal ones.' },
          },
        },
        alarm: {
          type: 'object',
          description: 'What the type reports while an incident goes on.',
          additionalProperties: false,
          required: ['set'],
          properties: {
            set: { $ref: '#/$defs/readingGenerators', description: 'Generators that replace the normal ones.' },
            reportEvery: { type: 'string', pattern: DURATION_PATTERN, description: "How often during an incident; the type's reportEvery when absent." },
          },
        },
      },
    },
    readingGenerators: {
      type: 'object',
      description: 'Metric name → generator.',
      minProperties: 1,
      propertyNames: { type: 'string', pattern: CATALOGUE_NAME_PATTERN },
      additionalProperties: { $ref: '#/$defs/generator' },
    },
    generator: {
      description:
        'A constant (number or boolean), or one of: {between: [low, high]}; {around: value or [low, high], spread}; ' +
        '{chance: p} (booleans); {start, perDay}; {start, integrates: metric, per: duration, factor}. Numbers take decimals.',
      type: ['number', 'boolean', 'object'],
      additionalProperties: false,
      properties: {
        between: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, description: 'Uniform in [low, high] on every reading.' },
        around: range('The level the value varies around; [low, high]: drawn once per device.'),
        spread: { type: 'number', minimum: 0, description: 'Standard deviation of the noise around the level.' },
        chance: { type: 'number', minimum: 0, maximum: 1, description: 'Booleans: the probability of true on each reading.' },
        start: range('The first value; [low, high]: drawn once per device.'),
        perDay: { type: 'number', description: 'Change per day (negative: a draining battery).' },
        integrates: { type: 'string', pattern: CATALOGUE_NAME_PATTERN, description: 'A register: the metric whose value it adds up.' },
        per: { type: 'string', pattern: DURATION_PATTERN, description: 'The time unit of the integrated metric (1h for W → Wh, 1m for L/min).' },
        factor: { type: 'number', description: 'Multiplies what is added (0.001: Wh → kWh, L → m³). Default 1.' },
        decimals: { type: 'integer', minimum: 0, maximum: 6, description: 'Rounding of the value. Default 2.' },
      },
    },
  },
} as const;

// --- the document as written (YAML field names), once the schema holds -------------------------

export interface LabelDocument {
  zh: string;
  en: string;
}

export interface MetricDocument {
  type: 'number' | 'boolean';
  unit?: string;
  minimum?: number;
  maximum?: number;
  description: string;
  label: LabelDocument;
  states?: { true: LabelDocument; false: LabelDocument };
  diagnostic?: boolean;
}

export type GeneratorDocument =
  | number
  | boolean
  | {
      between?: [number, number];
      around?: number | [number, number];
      spread?: number;
      chance?: number;
      start?: number | [number, number];
      perDay?: number;
      integrates?: string;
      per?: string;
      factor?: number;
      decimals?: number;
    };

export interface SimulationDocument {
  normal: Record<string, GeneratorDocument>;
  active?: { chance: number; hours?: { from: string; to: string }; set: Record<string, GeneratorDocument> };
  alarm?: { set: Record<string, GeneratorDocument>; reportEvery?: string };
}

export interface DeviceTypeDocument {
  label: LabelDocument;
  description?: string;
  metrics: string[];
  reportEvery: string;
  batches: boolean;
  reportsOnEvent: boolean;
  activity?: { metric: string; above?: number; is?: boolean; noun: LabelDocument };
  simulation: SimulationDocument;
}

export interface DeviceCatalogueDocument {
  version: 1;
  metrics: Record<string, MetricDocument>;
  types: Record<string, DeviceTypeDocument>;
}
