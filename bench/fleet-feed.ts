import { deviceTypeSpec, metricSpec } from '../src/catalogue/device-catalogue.js';
import type { DeviceType } from '../src/contracts/registry.js';
import type { Engine } from '../src/engine.js';
import { CatalogueReadings } from '../simulators/devices/catalogue-readings.js';
import { Rng } from '../simulators/random.js';

/** Distinct readings per type: enough that the fleet is not one reading, few enough to make once. */
const VARIANTS = 100;
const variantsByType = new Map<DeviceType, ReadonlyArray<Readonly<Record<string, number | boolean>>>>();

/**
 * One ordinary, valid reading per device type, made from the device catalogue's `simulation`
 * section, so a new type needs nothing here: nothing in it raises a threshold (normal readings;
 * every fifth shows the type's activity, as a lived-in home's meters do), and the type's schema
 * accepts it (a water meter's payload sent to a gas detector would be a dead letter, and a dead
 * letter builds no model state). Diagnostic metrics (battery, signal) are left out to keep readings
 * small. `n` picks one of a hundred readings made once per type, so the latency probe's publisher
 * spends no time making them.
 */
export function quietMetrics(type: DeviceType, n: number): Readonly<Record<string, number | boolean>> {
  let variants = variantsByType.get(type);
  if (!variants) {
    variants = Array.from({ length: VARIANTS }, (_, i) => quietReading(type, i));
    variantsByType.set(type, variants);
  }
  return variants[n % VARIANTS]!;
}

function quietReading(type: DeviceType, i: number): Readonly<Record<string, number | boolean>> {
  const spec = deviceTypeSpec(type);
  if (!spec) throw new Error(`device type "${type}" is not in the device catalogue`);
  const readings = new CatalogueReadings(spec);
  const rng = new Rng(i);
  const state = readings.init(rng);
  const metrics = readings.reading(state, spec.simulation.active && i % 5 === 0 ? 'active' : 'normal', spec.reportEveryMs, rng);
  const quiet: Record<string, number | boolean> = {};
  for (const [name, value] of Object.entries(metrics)) if (!metricSpec(name)?.diagnostic) quiet[name] = value;
  return Object.freeze(quiet);
}

/**
 * Feeds one reading per device straight into the engine's pipeline (`engine.ingest`, what the
 * broker calls), in chunks so timers, the group commit and GC get the event loop between them.
 * In process on purpose: these benchmarks measure state and timers, not the MQTT hop.
 */
export async function feedOnce(
  engine: Engine,
  devices: readonly { id: string; type: DeviceType }[],
  ts: (index: number) => number,
  chunk = 5_000,
): Promise<void> {
  const prefix = engine.config.mqtt.topicPrefix;
  for (let start = 0; start < devices.length; start += chunk) {
    const end = Math.min(devices.length, start + chunk);
    for (let i = start; i < end; i++) {
      const device = devices[i]!;
      engine.ingest(`${prefix}/telemetry/${device.id}`, Buffer.from(JSON.stringify({ ts: ts(i), metrics: quietMetrics(device.type, i) })));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
