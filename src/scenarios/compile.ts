import type { ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { DeviceContext } from '../contracts/registry.js';
import type { Scenario } from '../contracts/scenario.js';
import { createModel } from '../models/index.js';
import { compileContextPredicate } from '../core/expression.js';

/** A scenario ready to run: its data, the test of which devices it covers, and its running model. */
export interface CompiledScenario {
  readonly scenario: Scenario;
  appliesTo(ctx: DeviceContext): boolean;
  readonly model: ScenarioModel;
}

/**
 * Declaration apart from execution (STYLE.md 1): a Scenario is plain data; this turns it into a
 * running model. `appliesTo` is evaluated once per device (the result is cached by the detect
 * stage), so subject filters cost nothing per reading.
 */
export function compileScenario(scenario: Scenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): CompiledScenario {
  const types = new Set<string>(scenario.appliesTo.deviceTypes);
  const when = scenario.appliesTo.when ? compileContextPredicate(scenario.appliesTo.when, onExpressionError) : undefined;
  return {
    scenario,
    appliesTo: (ctx) => types.has(ctx.device.type) && (when === undefined || when(ctx)),
    model: createModel(scenario, deps, onExpressionError),
  };
}
