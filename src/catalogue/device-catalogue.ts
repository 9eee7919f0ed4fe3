import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERR_CATALOGUE_INVALID, withDetails } from '../core/errors.js';
import { loadDeviceCatalogueFile } from './catalogue-file.js';
import type { DeviceCatalogue, DeviceTypeSpec, MetricSpec } from './catalogue-spec.js';

export type { ActivitySpec, DeviceCatalogue, DeviceTypeSpec, LocalizedText, MetricSpec, ReadingGenerators, SimulationSpec, ValueGenerator } from './catalogue-spec.js';

/**
 * The device catalogue shipped with riskwatch (`catalogue/device-types.yaml`): the one place a
 * device type is defined. Loaded and checked once, synchronously, on first use — module
 * initialisation of whatever needs it (payload validators, schemas) — and kept for the life of the
 * process; a bad file throws ERR_CATALOGUE_INVALID with its file, line and field.
 */

/** Where the catalogue lives, relative to the package root. */
const CATALOGUE_PATH = join('catalogue', 'device-types.yaml');

/**
 * The catalogue file of the package this module belongs to: the first folder at or above `from`
 * that has `catalogue/device-types.yaml`. Walking up finds it from `src/catalogue/` (tests, tsx)
 * and from `dist/src/catalogue/` (the build, an installed package) alike, whatever the working
 * directory.
 */
export function findCatalogueFile(from: string = fileURLToPath(new URL('.', import.meta.url))): string {
  for (let dir = from; ; ) {
    const candidate = join(dir, CATALOGUE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw withDetails(ERR_CATALOGUE_INVALID(CATALOGUE_PATH, `not found in ${from} or any folder above it`), { file: CATALOGUE_PATH, line: 1, column: 1 });
    }
    dir = parent;
  }
}

let shipped: DeviceCatalogue | undefined;

/** The shipped catalogue, loaded on the first call. */
export function deviceCatalogue(): DeviceCatalogue {
  shipped ??= loadDeviceCatalogueFile(findCatalogueFile());
  return shipped;
}

/** Every device type name, in the catalogue's order: what registries and scenarios may name. */
export function deviceTypeNames(): readonly string[] {
  return deviceCatalogue().typeNames;
}

/** True for a device type the catalogue declares. */
export function isDeviceType(name: unknown): name is string {
  return typeof name === 'string' && deviceCatalogue().types.has(name);
}

/** A device type's spec, or undefined for a name the catalogue does not declare. */
export function deviceTypeSpec(name: string): DeviceTypeSpec | undefined {
  return deviceCatalogue().types.get(name);
}

/** A metric's spec (unit, range, labels), or undefined for a name the catalogue does not declare. */
export function metricSpec(name: string): MetricSpec | undefined {
  return deviceCatalogue().metrics.get(name);
}

/** The JSON Schema of a metric's value, as a telemetry payload states it. */
function metricValueSchema(metric: MetricSpec): Record<string, unknown> {
  return {
    type: metric.type,
    ...(metric.minimum !== undefined && { minimum: metric.minimum }),
    ...(metric.maximum !== undefined && { maximum: metric.maximum }),
    description: metric.description,
  };
}

/**
 * The JSON Schema of a type's `metrics` object: its metrics and no other (`additionalProperties:
 * false`, so a typo such as `flow_lmp` is a dead letter instead of a metric no scenario ever sees),
 * at least one of them. A fresh object on every call: validators compile it once per type.
 */
export function metricsSchemaOf(type: string) {
  const spec = deviceTypeSpec(type);
  if (!spec) throw ERR_CATALOGUE_INVALID(deviceCatalogue().file, `no device type "${type}"`);
  const properties: Record<string, Record<string, unknown>> = {};
  for (const name of spec.metrics) properties[name] = metricValueSchema(metricSpec(name)!);
  return { title: `${type} metrics`, type: 'object', additionalProperties: false, minProperties: 1, properties } as const;
}

/**
 * The type's activity as a CEL condition over a reading (`metrics.flow_lpm > 0.1`), as an
 * inactivity scenario's `active` says it; undefined for a type without one.
 */
export function activityCondition(type: string): string | undefined {
  const activity = deviceTypeSpec(type)?.activity;
  if (!activity) return undefined;
  return activity.is !== undefined
    ? `metrics.${activity.metric} == ${String(activity.is)}`
    : `metrics.${activity.metric} > ${String(activity.above)}`;
}
