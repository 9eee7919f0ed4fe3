import { deviceTypeSpec, metricSpec, type DeviceTypeSpec, type ReadingGenerators, type ValueGenerator } from '../../src/catalogue/device-catalogue.js';
import type { Rng } from '../random.js';
import { clamp, round, type SimMetrics } from './device-model.js';

/** Which of the catalogue's readings to make: an ordinary one, one showing the activity, or the alarm. */
export type ReadingMode = 'normal' | 'active' | 'alarm';

/**
 * One device's part of its generators: the level each `around` varies about and the current value
 * of each drift and register, drawn or advanced on the device's own random stream.
 */
export interface CatalogueReadingState {
  readonly levels: Map<ValueGenerator, number>;
}

const DAY_MS = 86_400_000;

/**
 * Readings of one device type made from its catalogue `simulation` section alone, for types
 * without a hand-written model (and for the benchmarks' minimal readings). Pure apart from the
 * state and the random stream it is handed: same stream, same calls, same readings.
 *
 * A reading carries the normal generators' metrics in the catalogue's order, with `active.set` or
 * `alarm.set` replacing (or adding) metrics for those modes. Registers (`integrates`) are computed
 * after every other metric, from the value the reading carries. Numbers are rounded and kept within
 * the metric's declared range, so a simulated reading is never a dead letter.
 */
export class CatalogueReadings {
  readonly spec: DeviceTypeSpec;
  private readonly byMode: Readonly<Record<ReadingMode, ReadingGenerators>>;

  constructor(spec: DeviceTypeSpec) {
    this.spec = spec;
    const simulation = spec.simulation;
    this.byMode = {
      normal: simulation.normal,
      active: overlay(simulation.normal, simulation.active?.set),
      alarm: overlay(simulation.normal, simulation.alarm?.set),
    };
  }

  /** The catalogue readings of a device type the catalogue declares; throws for any other name. */
  static of(type: string): CatalogueReadings {
    const spec = deviceTypeSpec(type);
    if (!spec) throw new Error(`device type "${type}" is not in the device catalogue`);
    return new CatalogueReadings(spec);
  }

  /** Draws the device's levels and starting values, in the catalogue's order (normal, active, alarm). */
  init(rng: Rng): CatalogueReadingState {
    const levels = new Map<ValueGenerator, number>();
    for (const mode of ['normal', 'active', 'alarm'] as const) {
      for (const [, generator] of this.byMode[mode]) {
        if (levels.has(generator)) continue;
        if (generator.kind === 'around') levels.set(generator, rng.uniform(generator.base[0], generator.base[1]));
        else if (generator.kind === 'drift' || generator.kind === 'integral') levels.set(generator, rng.uniform(generator.start[0], generator.start[1]));
      }
    }
    return { levels };
  }

  /** The metrics of one reading, `elapsedMs` after the previous one (drifts and registers advance by it). */
  reading(state: CatalogueReadingState, mode: ReadingMode, elapsedMs: number, rng: Rng): SimMetrics {
    const generators = this.byMode[mode];
    const metrics: SimMetrics = {};
    for (const [metric, generator] of generators) {
      // A register's place in the reading is kept; its value follows once the rest is known.
      metrics[metric] = generator.kind === 'integral' ? 0 : this.value(state, metric, generator, elapsedMs, rng);
    }
    for (const [metric, generator] of generators) {
      if (generator.kind !== 'integral') continue;
      const rate = metrics[generator.of];
      const total = state.levels.get(generator)! + (typeof rate === 'number' ? rate * (elapsedMs / generator.perMs) * generator.factor : 0);
      state.levels.set(generator, total);
      metrics[metric] = this.number(metric, total, generator.decimals);
    }
    return metrics;
  }

  private value(state: CatalogueReadingState, metric: string, generator: ValueGenerator, elapsedMs: number, rng: Rng): number | boolean {
    switch (generator.kind) {
      case 'constant':
        return generator.value;
      case 'chance':
        return rng.chance(generator.p);
      case 'between':
        return this.number(metric, rng.uniform(generator.low, generator.high), generator.decimals);
      case 'around':
        return this.number(metric, rng.normal(state.levels.get(generator)!, generator.spread), generator.decimals);
      case 'drift': {
        const level = state.levels.get(generator)! + generator.perDay * (elapsedMs / DAY_MS);
        state.levels.set(generator, level);
        return this.number(metric, level, generator.decimals);
      }
      case 'integral':
        return 0; // computed in reading(), after the metric it adds up
    }
  }

  private number(metric: string, value: number, decimals: number): number {
    const spec = metricSpec(metric)!;
    return round(clamp(value, spec.minimum ?? -Infinity, spec.maximum ?? Infinity), decimals);
  }
}

/** `base` with `set`'s generators in place of (or after) its own, in order. */
function overlay(base: ReadingGenerators, set: ReadingGenerators | undefined): ReadingGenerators {
  if (!set) return base;
  const replaced = new Map(set);
  const out = base.map(([metric, generator]) => [metric, replaced.get(metric) ?? generator] as const);
  for (const [metric, generator] of set) if (!base.some(([name]) => name === metric)) out.push([metric, generator] as const);
  return out;
}
