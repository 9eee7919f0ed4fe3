import type { ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { Scenario } from '../contracts/scenario.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { createInactivityModel } from './inactivity.js';
import { createOfflineModel } from './offline.js';
import { createThresholdModel } from './threshold.js';

export { createInactivityModel } from './inactivity.js';
export { createOfflineModel } from './offline.js';
export { createThresholdModel } from './threshold.js';
export { activeTimeBetween, addActiveTime } from './active-hours.js';
export { keyOf } from './model-key.js';

/**
 * The running model for a scenario. Throws ERR_SCENARIO_INVALID for an unknown model kind, an
 * expression that does not parse, or levels that make no sense (a red duration shorter than yellow).
 * Expressions that fail on a reading count as false and are reported to `onExpressionError`.
 */
export function createModel(scenario: Scenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel {
  switch (scenario.model) {
    case 'threshold':
      return createThresholdModel(scenario, deps, onExpressionError);
    case 'inactivity':
      return createInactivityModel(scenario, deps, onExpressionError);
    case 'offline':
      return createOfflineModel(scenario, deps);
    default: {
      const unknown: { id?: string; model?: unknown } = scenario;
      throw ERR_SCENARIO_INVALID(unknown.id, `model "${String(unknown.model)}" is not one of threshold, inactivity, offline`);
    }
  }
}
