import { Ajv, type ValidateFunction } from 'ajv';
import { DEVICE_TYPES, type DeviceType } from '../contracts/registry.js';
import { RFC3339_PATTERN } from './rfc3339.js';

/**
 * What each device type may report, one JSON Schema per type for `metrics`. Metric names carry
 * their unit (`flow_lpm`, `gas_lel_pct`); `additionalProperties: false` so a typo (`flow_lmp`) is a
 * dead letter instead of a metric no scenario ever sees. Published in the README and over the API.
 */
const BATTERY_PCT = { type: 'number', minimum: 0, maximum: 100, description: 'battery charge, %' } as const;
// NB-IoT works down to about −130 dBm; −140..0 covers every radio a meter carries.
const SIGNAL_DBM = { type: 'number', minimum: -140, maximum: 0, description: 'received signal strength, dBm' } as const;
const TOTAL_M3 = { type: 'number', minimum: 0, description: 'meter register, m³' } as const;

function metricsSchema(title: string, properties: Record<string, object>) {
  return { title, type: 'object', additionalProperties: false, minProperties: 1, properties } as const;
}

export const METRIC_SCHEMAS: Readonly<Record<DeviceType, ReturnType<typeof metricsSchema>>> = {
  water_meter: metricsSchema('water_meter metrics', {
    flow_lpm: { type: 'number', minimum: 0, description: 'flow, litres per minute' },
    total_m3: TOTAL_M3,
    valve_open: { type: 'boolean', description: 'shut-off valve state' },
    battery_pct: BATTERY_PCT,
    signal_dbm: SIGNAL_DBM,
  }),
  gas_meter: metricsSchema('gas_meter metrics', {
    flow_m3h: { type: 'number', minimum: 0, description: 'flow, m³ per hour' },
    total_m3: TOTAL_M3,
    // Smart gas meters carry a shut-off valve like water meters do; a closed valve explains "no use".
    valve_open: { type: 'boolean', description: 'shut-off valve state' },
    battery_pct: BATTERY_PCT,
    signal_dbm: SIGNAL_DBM,
  }),
  gas_detector: metricsSchema('gas_detector metrics', {
    gas_lel_pct: { type: 'number', minimum: 0, maximum: 100, description: 'combustible gas, % of the lower explosive limit' },
    co_ppm: { type: 'number', minimum: 0, description: 'carbon monoxide, ppm' },
    battery_pct: BATTERY_PCT,
    signal_dbm: SIGNAL_DBM,
  }),
  smoke_detector: metricsSchema('smoke_detector metrics', {
    smoke_alarm: { type: 'boolean', description: 'the detector is sounding its alarm' },
    smoke_obscuration_pct_per_m: { type: 'number', minimum: 0, maximum: 100, description: 'smoke obscuration, % per metre' },
    // Wide on purpose: a detector in a fire reads far above any room temperature before it dies.
    temperature_c: { type: 'number', minimum: -50, maximum: 200, description: 'temperature, °C' },
    battery_pct: BATTERY_PCT,
    signal_dbm: SIGNAL_DBM,
  }),
  door_sensor: metricsSchema('door_sensor metrics', {
    door_open: { type: 'boolean', description: 'the door is open' },
    battery_pct: BATTERY_PCT,
    signal_dbm: SIGNAL_DBM,
  }),
};

/** One reading: `{"ts": 1732300000000, "metrics": {...}}`; `ts` is optional (receivedAt is used). */
export function readingSchema(type: DeviceType) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['metrics'],
    properties: {
      ts: {
        description: 'event time: epoch milliseconds or an RFC 3339 date-time',
        type: ['integer', 'string'],
        pattern: RFC3339_PATTERN,
      },
      metrics: METRIC_SCHEMAS[type],
    },
  } as const;
}

/** A batch: `{"readings": [reading, ...]}`; the count limit is configuration (`ingest.maxBatchReadings`). */
export function batchSchema(type: DeviceType) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['readings'],
    properties: { readings: { type: 'array', minItems: 1, items: readingSchema(type) } },
  } as const;
}

/** The whole telemetry payload of a device type, as published: a reading or a batch of them. */
export function telemetryPayloadSchema(type: DeviceType) {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `riskwatch telemetry: ${type}`,
    oneOf: [readingSchema(type), batchSchema(type)],
  } as const;
}

export interface PayloadValidators {
  reading: ValidateFunction;
  batch: ValidateFunction;
}

// `ts` is `integer | string` (the pattern applies to strings only): a union type gives one precise
// error where `anyOf` would report every branch.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

/**
 * Compiled once at load, per type and shape: the decoder knows the shape from the envelope's key,
 * so a bad reading gets a precise error path instead of a `oneOf` summary.
 */
export const PAYLOAD_VALIDATORS: Readonly<Record<DeviceType, PayloadValidators>> = Object.fromEntries(
  DEVICE_TYPES.map((type) => [type, { reading: ajv.compile(readingSchema(type)), batch: ajv.compile(batchSchema(type)) }]),
) as Record<DeviceType, PayloadValidators>;
