import { Ajv, type ValidateFunction } from 'ajv';
import { deviceTypeNames, metricsSchemaOf } from '../catalogue/device-catalogue.js';
import type { DeviceType } from '../contracts/registry.js';
import { RFC3339_PATTERN } from './rfc3339.js';

/**
 * What each device type may report, one JSON Schema per type for `metrics`, generated from the
 * device catalogue (`catalogue/device-types.yaml`). Metric names carry their unit (`flow_lpm`,
 * `gas_lel_pct`); `additionalProperties: false` so a typo (`flow_lmp`) is a dead letter instead of
 * a metric no scenario ever sees. Built once, when this module loads.
 */
export const METRIC_SCHEMAS: Readonly<Record<DeviceType, ReturnType<typeof metricsSchemaOf>>> = Object.freeze(
  Object.fromEntries(deviceTypeNames().map((type) => [type, metricsSchemaOf(type)])),
);

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
  deviceTypeNames().map((type) => [type, { reading: ajv.compile(readingSchema(type)), batch: ajv.compile(batchSchema(type)) }]),
);
