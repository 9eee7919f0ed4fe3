import type { Scenario } from '../contracts/scenario.js';
import type { DeviceContext } from '../contracts/registry.js';
import type { CompiledScenario } from '../scenarios/compile.js';
import type { Store } from '../store/store.js';

/**
 * Model state from a graceful stop, restored into the scenarios that took it, before any reading:
 * durations keep counting across an upgrade instead of starting again at the first new reading.
 * One-shot: the saved state is cleared, so a later crash never restores it again. Returns the keys
 * restored.
 */
export function restoreModelStates(compiled: readonly CompiledScenario[], store: Store, context: (deviceId: string) => DeviceContext | undefined): number {
  let restored = 0;
  for (const c of compiled) restored += c.model.restore(store.modelStates.load(c.scenario.id, fingerprint(c.scenario)), context);
  store.modelStates.clear();
  return restored;
}

/** Every model's state, in one transaction, at a graceful stop. Returns the keys saved. */
export function saveModelStates(compiled: readonly CompiledScenario[], store: Store, at: number): number {
  let saved = 0;
  store.transaction(() => {
    for (const c of compiled) {
      const entries = c.model.snapshot();
      saved += entries.length;
      store.modelStates.save(c.scenario.id, fingerprint(c.scenario), entries, at);
    }
  });
  return saved;
}

/** A scenario's definition, so a snapshot is only restored into the scenario that took it. */
function fingerprint(scenario: Scenario): string {
  const { source: _source, ...definition } = scenario;
  return JSON.stringify(definition);
}
