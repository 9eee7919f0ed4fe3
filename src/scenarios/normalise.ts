import type { ScenarioDocument } from '../contracts/model.js';
import type { Scenario, ScenarioBase } from '../contracts/scenario.js';
import { parseDuration } from '../core/duration.js';
import { modelDefinition } from '../models/model-kinds.js';
import { SCENARIO_DEFAULTS } from './schema.js';

/** The common part of a scenario file, as the schema checked it. */
interface CommonFields {
  id: string;
  name: string;
  description?: string;
  category: string;
  model: string;
  appliesTo: { deviceTypes: string[]; when?: string };
  keyBy?: 'device' | 'subject';
  alert?: { cooldown?: string; flapping?: { maxChanges?: number; window?: string } };
  dispatch?: boolean;
}

/**
 * Turns a scenario file that passed the schema (and the loader's checks) into the `Scenario` the
 * engine runs: the common fields here, the model kind's own through its definition — durations in
 * milliseconds, defaults filled in, levels in ladder order (blue → red) so two normalised
 * scenarios diff cleanly. Optional fields that were absent stay absent.
 */
export function normaliseScenario(doc: ScenarioDocument, source?: string): Scenario {
  const common = doc as unknown as CommonFields;
  const definition = modelDefinition(common.model);
  if (!definition) throw new TypeError(`model "${common.model}" passed the schema but has no definition`);
  const flapping = common.alert?.flapping;
  const base: ScenarioBase = {
    id: common.id,
    name: common.name,
    ...(common.description !== undefined && { description: common.description }),
    category: common.category,
    appliesTo: {
      deviceTypes: [...common.appliesTo.deviceTypes],
      ...(common.appliesTo.when !== undefined && { when: common.appliesTo.when }),
    },
    keyBy: common.keyBy ?? SCENARIO_DEFAULTS.keyBy,
    alert: {
      cooldownMs: parseDuration(common.alert?.cooldown ?? SCENARIO_DEFAULTS.cooldown),
      flapping: {
        maxChanges: flapping?.maxChanges ?? SCENARIO_DEFAULTS.flapping.maxChanges,
        windowMs: parseDuration(flapping?.window ?? SCENARIO_DEFAULTS.flapping.window),
      },
    },
    dispatch: common.dispatch ?? SCENARIO_DEFAULTS.dispatch,
  };
  const { id, name, description, category, appliesTo, keyBy, alert, dispatch } = base;
  // Field order as before (common, model, the kind's own, source), so a normalised scenario prints the same.
  return {
    id, name, ...(description !== undefined && { description }), category, model: definition.kind, appliesTo, keyBy, alert, dispatch,
    ...definition.normalise(doc),
    ...(source !== undefined && { source }),
  } as Scenario;
}
