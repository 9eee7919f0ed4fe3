import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../contracts/scenario.js';
import type { RiskwatchConfig } from '../core/config.js';
import { BUILT_IN_POLICY, type DispatchPolicyDefinition } from '../policy/policy-definition.js';
import { loadDispatchPolicyFile } from '../policy/policy-file.js';
import { loadRegistryFile } from '../registry/registry-file.js';
import type { Registry } from '../registry/registry.js';
import { assertScenarios, loadScenarioDir } from '../scenarios/loader.js';

/** What the engine knows before it takes a reading: where devices are, and what to look for. */
export interface Knowledge {
  registry: Registry;
  scenarios: Scenario[];
}

/** The registry and scenarios given, else from the configured files; an invalid scenario throws (the engine refuses to start). */
export function loadKnowledge(config: RiskwatchConfig, given: Partial<Knowledge>): Knowledge {
  return {
    registry: given.registry ?? loadRegistryFile(config.registry),
    scenarios: given.scenarios ?? assertScenarios(loadScenarioDir(config.rules)),
  };
}

/**
 * The dispatch policy file: `dispatch.policy`, else `{rules}/dispatch/policy.yaml` when present,
 * else the built-in defaults. Checked against the registry (departments) and the scenarios
 * (categories, ids): a typo is refused with ERR_POLICY_INVALID rather than routed wrongly.
 */
export function loadPolicyFile(config: RiskwatchConfig, registry: Registry, scenarios: readonly Scenario[]): DispatchPolicyDefinition {
  const file = config.dispatch.policy || join(config.rules, 'dispatch', 'policy.yaml');
  if (!config.dispatch.policy && !existsSync(file)) return BUILT_IN_POLICY;
  return loadDispatchPolicyFile(file, { registry, scenarios });
}
