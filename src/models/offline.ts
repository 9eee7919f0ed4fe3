import type { Verdict } from '../contracts/level.js';
import type { ModelDeps, ScenarioModel, SnapshotEntry } from '../contracts/model.js';
import type { EnrichedReading } from '../contracts/registry.js';
import type { OfflineScenario } from '../contracts/scenario.js';
import { formatDuration } from '../core/duration.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';
import { durationLadder, nextStepIndex } from './duration-ladder.js';
import { evidenceOf } from './model-key.js';
import { readingFromJson, readingToJson, verdictFromJson, type ReadingJson } from './model-snapshot.js';


interface OfflineState extends TimerEntry {
  deviceId: string;
  verdict: Verdict;
  /** Newest event time seen from the device. */
  lastSeen: number;
  lastReading: EnrichedReading;
}


/**
 * Offline model: no message at all from a device for a duration. Always keyed by device (a
 * household's other devices reporting says nothing about this one).
 *
 * Per reading: O(1) and no heap operation while the key is armed. The one entry per device waits
 * at lastSeen + the next level's duration as of when it was armed; when it fires it measures the
 * real silence, raises the highest level reached and re-arms for the next level (or, if messages
 * kept coming, for the lowest level from the newer lastSeen).
 */
export function createOfflineModel(scenario: OfflineScenario, deps: ModelDeps): ScenarioModel {
  const steps = durationLadder(scenario, scenario.levels);
  const { scheduler, emit } = deps;
  const states = new Map<string, OfflineState>();
  let disposed = false;

  const nextStep = (verdict: Verdict): number => nextStepIndex(steps, verdict);

  const emitVerdict = (state: OfflineState, eventTime: number, summary: string, silentMs: number): void => {
    emit({
      scenarioId: scenario.id,
      key: state.deviceId,
      verdict: state.verdict,
      eventTime,
      detectedAt: scheduler.now(),
      summary,
      evidence: { readings: [evidenceOf(state.lastReading)], facts: { silentMs, lastSeenAt: state.lastSeen } },
      ctx: state.lastReading.ctx,
    });
  };

  const onDue = (state: OfflineState, now: number): void => {
    const silentMs = now - state.lastSeen;
    let i = nextStep(state.verdict);
    let reached = -1;
    while (i < steps.length && steps[i]!.ms <= silentMs) reached = i++;
    if (reached >= 0) {
      const step = steps[reached]!;
      state.verdict = step.level;
      emitVerdict(state, state.lastSeen + step.ms, `no message for ${formatDuration(step.ms)}`, step.ms);
    }
    if (i < steps.length) queue.arm(state, state.lastSeen + steps[i]!.ms);
  };

  const queue = new TimerQueue<OfflineState>(scheduler, onDue);

  return {
    onReading(reading: EnrichedReading): void {
      if (disposed) return;
      let state = states.get(reading.deviceId);
      if (state === undefined) {
        // The first message decides: the device is reporting (clears an alert restored from the store).
        state = { deviceId: reading.deviceId, verdict: 'ok', lastSeen: reading.ts, lastReading: reading, dueAt: 0, heapIndex: -1 };
        states.set(reading.deviceId, state);
        emitVerdict(state, reading.ts, 'device reporting', 0);
        queue.arm(state, reading.ts + steps[0]!.ms);
        return;
      }
      const silentMs = reading.ts - state.lastSeen;
      if (reading.ts > state.lastSeen) {
        state.lastSeen = reading.ts;
        state.lastReading = reading;
      }
      if (state.verdict !== 'ok') {
        state.verdict = 'ok';
        emitVerdict(state, reading.ts, `message received after ${formatDuration(Math.max(0, silentMs))} of silence`, Math.max(0, silentMs));
        queue.arm(state, state.lastSeen + steps[0]!.ms);
      } else if (state.heapIndex < 0) {
        queue.arm(state, state.lastSeen + steps[0]!.ms);
      }
    },
    get size(): number {
      return states.size;
    },
    snapshot(): SnapshotEntry[] {
      return [...states.values()].map((s) => ({ key: s.deviceId, state: { verdict: s.verdict, lastSeen: s.lastSeen, lastReading: readingToJson(s.lastReading) } }));
    },
    restore(entries, context): number {
      // The engine's own downtime is not the device's silence: a device that was reporting
      // counts again from the restart (no false offline storm after a long upgrade); one already
      // offline keeps its silence and escalates on schedule.
      const now = scheduler.now();
      let restored = 0;
      for (const { key, state: json } of entries) {
        const reading = readingFromJson(json.lastReading as ReadingJson | undefined, context);
        if (!reading || states.has(key)) continue;
        const verdict = verdictFromJson(json.verdict) ?? 'ok';
        const lastSeen = typeof json.lastSeen === 'number' ? json.lastSeen : reading.ts;
        const state: OfflineState = { deviceId: reading.deviceId, verdict, lastSeen: verdict === 'ok' ? Math.max(lastSeen, now) : lastSeen, lastReading: reading, dueAt: 0, heapIndex: -1 };
        states.set(state.deviceId, state);
        const next = nextStep(verdict);
        if (next < steps.length) queue.arm(state, state.lastSeen + steps[next]!.ms);
        restored++;
      }
      return restored;
    },
    dispose(): void {
      disposed = true;
      queue.dispose();
      states.clear();
    },
  };
}
