import type { Level, Verdict } from '../contracts/level.js';
import type { ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { EnrichedReading } from '../contracts/registry.js';
import type { OfflineScenario } from '../contracts/scenario.js';
import { LEVELS_HIGHEST_FIRST, levelRank } from '../alerts/levels.js';
import { formatDuration } from '../core/duration.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';
import { evidenceOf } from './model-key.js';

interface LevelStep {
  level: Level;
  rank: number;
  ms: number;
}

interface OfflineState extends TimerEntry {
  deviceId: string;
  verdict: Verdict;
  /** Newest event time seen from the device. */
  lastSeen: number;
  lastReading: EnrichedReading;
}

function compileSteps(scenario: OfflineScenario): LevelStep[] {
  const steps: LevelStep[] = [];
  for (const level of [...LEVELS_HIGHEST_FIRST].reverse()) {
    const ms = scenario.levels[level];
    if (ms === undefined) continue;
    if (!(ms > 0)) throw ERR_SCENARIO_INVALID(scenario.id, `levels.${level} must be a positive duration`);
    const previous = steps[steps.length - 1];
    if (previous && ms <= previous.ms) throw ERR_SCENARIO_INVALID(scenario.id, `levels.${level} must be longer than levels.${previous.level}`);
    steps.push({ level, rank: levelRank(level), ms });
  }
  if (steps.length === 0) throw ERR_SCENARIO_INVALID(scenario.id, 'levels: at least one level needs a duration');
  return steps;
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
  const steps = compileSteps(scenario);
  const { scheduler, emit } = deps;
  const states = new Map<string, OfflineState>();
  let disposed = false;

  const nextStep = (verdict: Verdict): number => {
    const rank = levelRank(verdict);
    let i = 0;
    while (i < steps.length && steps[i]!.rank <= rank) i++;
    return i;
  };

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
    dispose(): void {
      disposed = true;
      queue.dispose();
      states.clear();
    },
  };
}
