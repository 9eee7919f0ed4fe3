import { expect } from 'vitest';
import { AlertManager } from '../../src/alerts/alert-manager.js';
import type { Alert, AlertEvent } from '../../src/contracts/alert.js';
import type { Level, Verdict } from '../../src/contracts/level.js';
import type { ScenarioModel } from '../../src/contracts/model.js';
import type { Scenario } from '../../src/contracts/scenario.js';
import { levelRank } from '../../src/core/levels.js';
import type { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { createModel } from '../../src/models/index.js';

/**
 * A scenario's model and the real alert manager on one manual clock — the two stages between a
 * reading and an alert event — with everything they said recorded for the invariant checks.
 */
export interface LadderRig {
  model: ScenarioModel;
  manager: AlertManager;
  /** Every alert event, in the order it happened (from readings and from timers alike). */
  events: AlertEvent[];
  /** For each event, the model's newest verdict for its key when it happened. */
  modelVerdictAt: Verdict[];
  /** The model's newest verdict per key. */
  verdicts: Map<string, Verdict>;
  /** The open alert of `key`, if any. */
  open(key: string): Alert | undefined;
}

export function ladderRig(scenario: Scenario, clock: ManualScheduler): LadderRig {
  const events: AlertEvent[] = [];
  const modelVerdictAt: Verdict[] = [];
  const verdicts = new Map<string, Verdict>();
  const record = (event: AlertEvent) => {
    events.push(event);
    modelVerdictAt.push(verdicts.get(event.alert.key) ?? 'ok');
  };
  let ids = 0;
  const manager = new AlertManager({
    scheduler: clock,
    scenario: (id) => (id === scenario.id ? scenario : undefined),
    newId: () => `a${++ids}`,
    onTimedEvent: record,
  });
  const model = createModel(scenario, {
    scheduler: clock,
    emit: (detection) => {
      verdicts.set(detection.key, detection.verdict);
      const event = manager.handle(detection);
      if (event) record(event);
    },
  });
  const open = (key: string) => manager.openAlerts().find((alert) => alert.key === key);
  return { model, manager, events, modelVerdictAt, verdicts, open };
}

export const rank = (verdict: Verdict | undefined): number => (verdict === undefined ? 0 : levelRank(verdict));

/** The level of `key`'s open alert, or ok: what a dispatch system sees. */
export function alertLevel(rig: LadderRig, key: string): Verdict {
  return rig.open(key)?.level ?? 'ok';
}

/**
 * The invariants every alert history keeps, whatever the model: at most one open alert per key;
 * changes only to the open alert, each from the level it was at, escalations up and
 * de-escalations down; and each alert's history records every change, in order.
 */
export function expectConsistentHistory(rig: LadderRig): void {
  const openByKey = new Map<string, { id: string; level: Level }>();
  const byAlert = new Map<string, AlertEvent[]>();
  for (const event of rig.events) {
    const key = event.alert.key;
    const open = openByKey.get(key);
    if (event.type === 'opened') {
      expect(open, `a second alert opened for ${key} while ${open?.id} was open`).toBeUndefined();
      openByKey.set(key, { id: event.alert.id, level: event.to! });
    } else {
      expect(open?.id, `${event.type} of an alert that is not open`).toBe(event.alert.id);
      expect(event.from).toBe(open!.level);
      if (event.type === 'escalated') expect(rank(event.to)).toBeGreaterThan(rank(event.from));
      if (event.type === 'deescalated') expect(rank(event.to)).toBeLessThan(rank(event.from));
      if (event.type === 'cleared') openByKey.delete(key);
      else open!.level = event.to!;
    }
    const list = byAlert.get(event.alert.id) ?? [];
    list.push(event);
    byAlert.set(event.alert.id, list);
  }
  const openNow = rig.manager.openAlerts();
  expect(new Set(openNow.map((a) => a.key)).size).toBe(openNow.length);
  for (const alert of openNow) expect(alert.level).toBe(openByKey.get(alert.key)?.level);
  for (const events of byAlert.values()) {
    const changes = events[0]!.alert.history.filter((h) => h.type !== 'flapping' && h.type !== 'suppressed');
    const shape = (type: string, at: number, from?: Level, to?: Level) => ({ type, at, from, to });
    expect(changes.map((h) => shape(h.type, h.at, h.from, h.to))).toEqual(events.map((e) => shape(e.type, e.at, e.from, e.to)));
    changes.forEach((h, i) => i > 0 && expect(h.at).toBeGreaterThanOrEqual(changes[i - 1]!.at));
  }
}

/** Events added since `from`, of `type`. */
export function eventsSince(rig: LadderRig, from: number, type: AlertEvent['type']): AlertEvent[] {
  return rig.events.slice(from).filter((e) => e.type === type);
}
