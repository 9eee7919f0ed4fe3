import { LEVELS, type Level } from '../contracts/level.js';
import type { Scenario } from '../contracts/scenario.js';
import { parseDuration } from '../core/duration.js';
import { SCENARIO_DEFAULTS, type LevelMap, type ScenarioDocument } from './schema.js';

/**
 * Turns a scenario file that passed the schema (and the loader's checks) into the `Scenario` the
 * engine runs: durations in milliseconds, defaults filled in, levels in ladder order (blue → red)
 * so two normalised scenarios diff cleanly. Optional fields that were absent stay absent.
 */
export function normaliseScenario(doc: ScenarioDocument, source?: string): Scenario {
  const flapping = doc.alert?.flapping;
  const base = {
    id: doc.id,
    name: doc.name,
    ...(doc.description !== undefined && { description: doc.description }),
    category: doc.category,
    model: doc.model,
    appliesTo: {
      deviceTypes: [...doc.appliesTo.deviceTypes],
      ...(doc.appliesTo.when !== undefined && { when: doc.appliesTo.when }),
    },
    keyBy: doc.keyBy ?? SCENARIO_DEFAULTS.keyBy,
    alert: {
      cooldownMs: parseDuration(doc.alert?.cooldown ?? SCENARIO_DEFAULTS.cooldown),
      flapping: {
        maxChanges: flapping?.maxChanges ?? SCENARIO_DEFAULTS.flapping.maxChanges,
        windowMs: parseDuration(flapping?.window ?? SCENARIO_DEFAULTS.flapping.window),
      },
    },
    dispatch: doc.dispatch ?? SCENARIO_DEFAULTS.dispatch,
  };
  const origin = source !== undefined ? { source } : {};

  switch (doc.model) {
    case 'threshold':
      return {
        ...base,
        model: 'threshold',
        ...(doc.metric !== undefined && { metric: doc.metric }),
        levels: mapLevels(doc.levels, (expr) => expr),
        for: mapLevels(doc.for, parseDuration),
        reset: mapLevels(doc.reset, (expr) => expr),
        maxGapMs: parseDuration(doc.maxGap ?? SCENARIO_DEFAULTS.maxGap),
        ...origin,
      };
    case 'inactivity':
      return {
        ...base,
        model: 'inactivity',
        active: doc.active,
        levels: mapLevels(doc.levels, parseDuration),
        ...(doc.activeHours !== undefined && { activeHours: { from: doc.activeHours.from, to: doc.activeHours.to } }),
        maxSilenceMs: parseDuration(doc.maxSilence ?? SCENARIO_DEFAULTS.maxSilence),
        ...origin,
      };
    case 'offline':
      return { ...base, model: 'offline', levels: mapLevels(doc.levels, parseDuration), ...origin };
  }
}

function mapLevels<T, U>(map: LevelMap<T> | undefined, convert: (value: T) => U): Partial<Record<Level, U>> {
  const out: Partial<Record<Level, U>> = {};
  if (!map) return out;
  for (const level of LEVELS) {
    const value = map[level];
    if (value !== undefined) out[level] = convert(value);
  }
  return out;
}
