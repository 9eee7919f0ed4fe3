import type { Verdict } from '../contracts/level.js';
import type { ModelDefinition, ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { EnrichedReading } from '../contracts/registry.js';
import type { LevelMap, ScenarioOf } from '../contracts/scenario.js';
import { formatDuration } from '../core/duration.js';
import { durationLadder, nextStepIndex } from './duration-ladder.js';
import { detection, KeyedStates, type KeyedState } from './keyed-states.js';
import { evidenceOf, keyNumberOf } from './model-key.js';
import { readingFromJson, readingToJson, verdictFromJson, type ReadingJson } from './model-snapshot.js';
import { durationLevels, growingDurations } from './scenario-fields.js';

/** The offline model's own scenario fields. */
export interface OfflineParameters {
  /** Silence (no message at all) after which each level is reached. */
  levels: LevelMap<number>;
}

declare module '../contracts/scenario.js' {
  interface ModelParameters {
    offline: OfflineParameters;
  }
}

export type OfflineScenario = ScenarioOf<'offline'>;

interface OfflineState extends KeyedState {
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

  const nextStep = (verdict: Verdict): number => nextStepIndex(steps, verdict);

  const emitVerdict = (state: OfflineState, eventTime: number, summary: string, silentMs: number): void => {
    const evidence = { readings: [evidenceOf(state.lastReading)], facts: { silentMs, lastSeenAt: state.lastSeen } };
    emit(detection(scenario.id, state.key, state.verdict, eventTime, scheduler.now(), summary, evidence, state.lastReading.ctx));
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
    if (i < steps.length) keyed.timers.arm(state, state.lastSeen + steps[i]!.ms);
  };

  const keyed: KeyedStates<OfflineState> = new KeyedStates<OfflineState>(scheduler, onDue, {
    toJson: (s) => ({ verdict: s.verdict, lastSeen: s.lastSeen, lastReading: readingToJson(s.lastReading) }),
    // The engine's own downtime is not the device's silence: a device that was reporting counts
    // again from the restart (no false offline storm after a long upgrade); one already offline
    // keeps its silence and escalates on schedule.
    fromJson: (_key, json, context) => {
      const reading = readingFromJson(json.lastReading as ReadingJson | undefined, context);
      if (!reading) return undefined;
      const verdict = verdictFromJson(json.verdict) ?? 'ok';
      const lastSeen = typeof json.lastSeen === 'number' ? json.lastSeen : reading.ts;
      return { key: reading.deviceId, verdict, lastSeen: verdict === 'ok' ? Math.max(lastSeen, scheduler.now()) : lastSeen, lastReading: reading, dueAt: 0, heapIndex: -1 };
    },
    rearm: (state) => {
      const next = nextStep(state.verdict);
      if (next < steps.length) keyed.timers.arm(state, state.lastSeen + steps[next]!.ms);
    },
  });
  return keyed.model((reading) => {
    const no = keyNumberOf('device', reading);
    let state = keyed.get(reading.deviceId, no);
    if (state === undefined) {
      // The first message decides: the device is reporting (clears an alert restored from the store).
      state = { key: reading.deviceId, verdict: 'ok', lastSeen: reading.ts, lastReading: reading, dueAt: 0, heapIndex: -1 };
      keyed.add(state, no);
      emitVerdict(state, reading.ts, 'device reporting', 0);
      keyed.timers.arm(state, reading.ts + steps[0]!.ms);
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
      keyed.timers.arm(state, state.lastSeen + steps[0]!.ms);
    } else if (state.heapIndex < 0) {
      keyed.timers.arm(state, state.lastSeen + steps[0]!.ms);
    }
  });
}

/** The offline model kind: silence of a device, whatever it reports. */
export const offline: ModelDefinition<'offline'> = {
  kind: 'offline',
  summary: 'offline: no message at all for a time',
  fields: {},
  levels: { description: 'Silence (no message at all) after which each level is reached.', value: { $ref: '#/$defs/duration', description: 'Silence' } },
  defaults: {},
  expressions: () => [],
  check: growingDurations,
  normalise: (doc) => ({ levels: durationLevels(doc) }),
  create: (scenario, deps) => createOfflineModel(scenario, deps),
};
