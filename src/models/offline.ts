import type { Evidence } from '../contracts/detection.js';
import type { Verdict } from '../contracts/level.js';
import type { ModelDefinition, ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';
import type { LevelMap, ScenarioOf } from '../contracts/scenario.js';
import { formatDuration } from '../core/duration.js';
import { durationLadder, highestStepReached, nextStepIndex } from './duration-ladder.js';
import { detection, KeyedStates, refreshTolerance, type KeyedState } from './keyed-states.js';
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
  /** Newest event time seen from the device; for a device never heard from, when the engine began watching it. */
  lastSeen: number;
  /** Undefined while the device has never been heard from (watched since the registry listed it). */
  lastReading: EnrichedReading | undefined;
  /** The device's context: its newest reading's, or the registry's while it has none. */
  ctx: DeviceContext;
}

/**
 * Offline model: no message at all from a device for a duration. Always keyed by device (a
 * household's other devices reporting says nothing about this one).
 *
 * Per reading: O(1) and no heap operation while the key is armed. The one entry per device waits
 * at lastSeen + the next level's duration as of when it was armed; when it fires it measures the
 * real silence, raises the highest level reached and re-arms for the next level (or, if messages
 * kept coming, for the lowest level from the newer lastSeen).
 *
 * Every device the registry lists is watched from the engine's start (`watch`), so a device that
 * never says a word is reported too, as one that stopped would be (safety first: a meter installed
 * dead, or one whose first message was lost, is a silent meter). The engine's own downtime counts
 * as silence: after a crash a device is due at lastSeen + the level's duration, as if nothing had
 * stopped, or at once when that passed while the engine was down — the engine cannot tell a
 * device that stopped from one it did not hear.
 */
export function createOfflineModel(scenario: OfflineScenario, deps: ModelDeps): ScenarioModel {
  const steps = durationLadder(scenario, scenario.levels);
  const { scheduler, emit } = deps;

  const nextStep = (verdict: Verdict): number => nextStepIndex(steps, verdict);

  const emitVerdict = (state: OfflineState, eventTime: number, summary: string, silentMs: number): void => {
    const last = state.lastReading;
    const evidence: Evidence = last
      ? { readings: [evidenceOf(last)], facts: { silentMs, lastSeenAt: state.lastSeen } }
      : { readings: [], facts: { silentMs, watchedSince: state.lastSeen, neverSeen: true } };
    emit(detection(scenario.id, state.key, state.verdict, eventTime, scheduler.now(), summary, evidence, state.ctx));
  };

  const onDue = (state: OfflineState, now: number): void => {
    const silentMs = now - state.lastSeen;
    let i = nextStep(state.verdict);
    let reached = -1;
    while (i < steps.length && steps[i]!.ms <= silentMs) reached = i++;
    if (reached >= 0) {
      const step = steps[reached]!;
      state.verdict = step.level;
      keyed.touch(state);
      const summary = state.lastReading ? `no message for ${formatDuration(step.ms)}` : `never heard from: no message in ${formatDuration(step.ms)} of watching`;
      emitVerdict(state, state.lastSeen + step.ms, summary, step.ms);
    }
    if (i < steps.length) keyed.timers.arm(state, state.lastSeen + steps[i]!.ms);
  };

  const keyed: KeyedStates<OfflineState> = new KeyedStates<OfflineState>(scheduler, onDue, {
    toJson: (s) => ({ verdict: s.verdict, lastSeen: s.lastSeen, lastReading: s.lastReading ? readingToJson(s.lastReading) : null }),
    // The silence counts on from the checkpointed lastSeen, through the engine's downtime (see above).
    fromJson: (key, json, context) => {
      const ctx = context(key);
      if (!ctx) return undefined; // the device left the registry
      const reading = readingFromJson((json.lastReading ?? undefined) as ReadingJson | undefined, context);
      const lastSeen = typeof json.lastSeen === 'number' ? json.lastSeen : reading?.ts;
      if (lastSeen === undefined) return undefined;
      const verdict = verdictFromJson(json.verdict) ?? 'ok';
      return { key: ctx.device.id, verdict, lastSeen, lastReading: reading, ctx: reading?.ctx ?? ctx, dueAt: 0, heapIndex: -1, listed: 0 };
    },
    rearm: (state) => {
      const next = nextStep(state.verdict);
      if (next < steps.length) keyed.timers.arm(state, state.lastSeen + steps[next]!.ms);
    },
  }, undefined, refreshTolerance(steps[0]!.ms));
  /** A device the registry lists and the model holds nothing for: its silence counts from `since`. */
  const watch = (ctx: DeviceContext, since: number): boolean => {
    const key = ctx.device.id;
    if (keyed.map.has(key)) return false;
    const state: OfflineState = { key, verdict: 'ok', lastSeen: since, lastReading: undefined, ctx, dueAt: 0, heapIndex: -1, listed: 0 };
    keyed.add(state, ctx.deviceNo);
    // Checkpointed too, so a crash before its first message does not move its due time again.
    keyed.touch(state);
    keyed.timers.arm(state, since + steps[0]!.ms);
    return true;
  };

  return keyed.model((reading) => {
    const no = keyNumberOf('device', reading);
    let state = keyed.get(reading.deviceId, no);
    if (state === undefined || state.lastReading === undefined) {
      // The first message decides: the device is reporting (clears an alert restored from the
      // store, or one raised while it was never heard from).
      if (state === undefined) {
        state = { key: reading.deviceId, verdict: 'ok', lastSeen: reading.ts, lastReading: reading, ctx: reading.ctx, dueAt: 0, heapIndex: -1, listed: 0 };
        keyed.add(state, no);
      } else {
        state.verdict = 'ok';
        state.lastSeen = reading.ts;
        state.lastReading = reading;
        state.ctx = reading.ctx;
      }
      keyed.touch(state);
      emitVerdict(state, reading.ts, 'device reporting', 0);
      keyed.timers.arm(state, reading.ts + steps[0]!.ms);
      return;
    }
    const silentMs = reading.ts - state.lastSeen;
    if (reading.ts > state.lastSeen) {
      state.lastSeen = reading.ts;
      state.lastReading = reading;
      state.ctx = reading.ctx;
    }
    if (state.verdict !== 'ok') {
      // The silence left is the newest event time's distance from now: a late message (an old
      // reading delivered now) may leave a level standing, and its own timer would raise it again
      // at once — a clear and a new alert (or one suppressed by cooldown) for a device still silent.
      const stillSilentMs = scheduler.now() - state.lastSeen;
      const reached = Math.min(highestStepReached(steps, stillSilentMs), nextStep(state.verdict) - 1);
      const verdict: Verdict = reached < 0 ? 'ok' : steps[reached]!.level;
      if (verdict !== state.verdict) {
        state.verdict = verdict;
        keyed.touch(state);
        if (reached < 0) {
          emitVerdict(state, reading.ts, `message received after ${formatDuration(Math.max(0, silentMs))} of silence`, Math.max(0, silentMs));
        } else {
          emitVerdict(state, reading.ts, `late message: still no message for ${formatDuration(steps[reached]!.ms)}`, stillSilentMs);
        }
      }
      const next = nextStep(verdict);
      if (next < steps.length) keyed.timers.arm(state, state.lastSeen + steps[next]!.ms);
    } else if (state.heapIndex < 0) {
      keyed.timers.arm(state, state.lastSeen + steps[0]!.ms);
    }
    // Only the last message's time moved on: a restore from a refresh up to refreshTolerance old
    // counts the silence from an earlier message, so an offline alert after a crash comes that much
    // early (≤ 1 % of the first level's duration), never late.
    keyed.refresh(state);
  }, watch);
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
