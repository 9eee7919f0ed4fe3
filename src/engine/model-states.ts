import type { Alert } from '../contracts/alert.js';
import type { Level } from '../contracts/level.js';
import type { Scenario } from '../contracts/scenario.js';
import type { DeviceContext } from '../contracts/registry.js';
import type { CompiledScenario } from '../scenarios/compile.js';
import type { Store } from '../store/store.js';

/**
 * Model state from the last checkpoint (see ModelCheckpointer), restored into the scenarios that
 * wrote it before any reading is taken, so durations keep counting across a crash as across an
 * upgrade. Each key's verdict follows its alert open in the store (`openAlerts`): the alert and the
 * checkpoint are written separately, and the alert is what was announced. Checkpoints stay where
 * they are — the next checkpoints overwrite them key by key; only those of scenarios no longer
 * loaded, or loaded with another definition, are deleted. Returns the keys restored.
 */
export function restoreModelStates(
  compiled: readonly CompiledScenario[], store: Pick<Store, 'modelStates'>, context: (deviceId: string) => DeviceContext | undefined, openAlerts: Iterable<Alert>,
): number {
  const checkpoints = store.modelStates;
  checkpoints.retainOnly(compiled.map((c) => c.scenario.id));
  const open = openLevels(openAlerts);
  let restored = 0;
  for (const c of compiled) {
    const id = c.scenario.id;
    if (!checkpoints.adopt(id, fingerprint(c.scenario))) continue;
    const levels = open.get(id);
    restored += c.model.restore(checkpoints.load(id), context, (key) => levels?.get(key));
  }
  return restored;
}

/** Per scenario: the level of each key's open alert. */
function openLevels(alerts: Iterable<Alert>): Map<string, Map<string, Level>> {
  const byScenario = new Map<string, Map<string, Level>>();
  for (const alert of alerts) {
    let levels = byScenario.get(alert.scenarioId);
    if (!levels) byScenario.set(alert.scenarioId, (levels = new Map()));
    levels.set(alert.key, alert.level);
  }
  return byScenario;
}

/** A scenario's definition, so a checkpoint is only restored into the scenario that wrote it. */
function fingerprint(scenario: Scenario): string {
  const { source: _source, ...definition } = scenario;
  return JSON.stringify(definition);
}
