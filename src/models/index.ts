import type { ModelDefinition, ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { ModelKind, Scenario, ScenarioOf } from '../contracts/scenario.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { MODEL_NAMES, modelDefinition } from './model-kinds.js';

export { createInactivityModel, type InactivityScenario } from './inactivity.js';
export { createOfflineModel, type OfflineScenario } from './offline.js';
export { createThresholdModel, type ThresholdScenario } from './threshold.js';
export { activeTimeBetween, addActiveTime } from './active-hours.js';
export { keyOf } from './model-key.js';
export { MODEL_KINDS, MODEL_NAMES, modelDefinition } from './model-kinds.js';

/**
 * The running model for a scenario, from its kind's definition. Throws ERR_SCENARIO_INVALID for
 * an unknown model kind, an expression that does not parse, or levels that make no sense (a red
 * duration shorter than yellow). Expressions that fail on a reading count as false and are
 * reported to `onExpressionError`.
 */
export function createModel(scenario: Scenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel {
  const definition = modelDefinition(scenario.model) as ModelDefinition<ModelKind> | undefined;
  if (!definition) {
    const unknown: { id?: string; model?: unknown } = scenario;
    throw ERR_SCENARIO_INVALID(unknown.id, `model "${String(unknown.model)}" is not one of ${MODEL_NAMES.join(', ')}`);
  }
  return definition.create(scenario as ScenarioOf<ModelKind>, deps, onExpressionError);
}
