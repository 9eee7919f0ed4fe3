import { deviceTypeSpec } from '../catalogue/device-catalogue.js';
import type { Detection, EvidenceReading } from '../contracts/detection.js';
import type { Verdict } from '../contracts/level.js';
import type { ModelDefinition, ModelDeps, ScenarioModel } from '../contracts/model.js';
import type { DeviceType, EnrichedReading } from '../contracts/registry.js';
import type { ActiveHours, LevelMap, ScenarioOf } from '../contracts/scenario.js';
import { formatDuration } from '../core/duration.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { compileReadingPredicate, ExpressionError, type ReadingPredicate } from '../core/expression.js';
import { activeTimeBetween, addActiveTime, describeActiveHours, parseActiveHours } from './active-hours.js';
import { durationLadder, highestStepReached, nextStepIndex, type LevelStep } from './duration-ladder.js';
import { detection, KeyedStates, refreshTolerance, type KeyedState } from './keyed-states.js';
import { evidenceOf, keyNumberOf, keyOf } from './model-key.js';
import { readingFromJson, readingToJson, verdictFromJson, type ReadingJson } from './model-snapshot.js';
import { durationField, durationLevels, growingDurations, isObject, positiveDuration, TIME_OF_DAY_PATTERN } from './scenario-fields.js';

/** The inactivity model's own scenario fields. */
export interface InactivityParameters {
  /** CEL: which readings count as activity (e.g. `metrics.flow_lpm > 0.1`). */
  active: string;
  /** Inactive time (counted inside active hours only) at which each level is reached. */
  levels: LevelMap<number>;
  /** Only this daily window counts, in the place's time zone; absent: the whole day counts. */
  activeHours?: ActiveHours;
  /**
   * A gap between readings longer than this is silence (the device may be offline), not evidence
   * of inactivity: only `maxSilenceMs` of such a gap is counted.
   */
  maxSilenceMs: number;
}

declare module '../contracts/scenario.js' {
  interface ModelParameters {
    inactivity: InactivityParameters;
  }
}

export type InactivityScenario = ScenarioOf<'inactivity'>;

interface InactivityState extends KeyedState {
  /** Undefined until a reading decides it: a first reading without activity decides nothing. */
  verdict: Verdict | undefined;
  /** Event time of the newest activity (or of the first reading: nothing earlier is known). */
  lastActive: number;
  /** Event time of the newest reading of any kind. */
  lastSeen: number;
  /** Active-hours time of over-long gaps since `lastActive`, beyond each gap's first maxSilenceMs. */
  excluded: number;
  lastActiveReading: EnrichedReading | undefined;
  lastReading: EnrichedReading;
}

/**
 * What "activity" means to a resident reading the summary, by the devices a scenario watches: the
 * device catalogue's noun ("water use"), or plain "activity" for a type without one or a mix.
 */
function activityNoun(deviceTypes: DeviceType[]): string {
  const nouns = new Set(deviceTypes.map((type) => deviceTypeSpec(type)?.activity?.noun.en ?? 'activity'));
  return nouns.size === 1 ? [...nouns][0]! : 'activity';
}


/**
 * Inactivity model: "an elderly person living alone has used no water for 12 hours".
 *
 * Inactive time at instant t is the active-hours time between the last activity and
 * min(t, lastSeen + maxSilenceMs), minus the over-long parts of gaps between readings: a silent
 * meter may be offline, which the offline scenario reports, and is no evidence of inactivity.
 *
 * Timers are lazy: a key holds at most one armed entry, at the instant its next level would be
 * reached if readings keep arriving. Activity does not move it (that would cost a heap operation
 * per reading); the firing entry recomputes and re-arms, or stays unarmed while silence freezes
 * the count, until the next reading arms it again. An `active` expression that fails on a reading
 * counts as false and is reported to `onExpressionError`.
 */
export function createInactivityModel(scenario: InactivityScenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel {
  const steps = durationLadder(scenario, scenario.levels);
  const window = scenario.activeHours;
  parseActiveHours(window); // validates the window now rather than at the first reading
  const maxSilenceMs = scenario.maxSilenceMs;
  if (!(maxSilenceMs > 0)) throw ERR_SCENARIO_INVALID(scenario.id, 'maxSilenceMs must be a positive duration');
  let isActive: ReadingPredicate;
  try {
    isActive = compileReadingPredicate(scenario.active, onExpressionError);
  } catch (err) {
    if (err instanceof ExpressionError) throw ERR_SCENARIO_INVALID(scenario.id, `active: ${err.message}`);
    throw err;
  }
  const noun = activityNoun(scenario.appliesTo.deviceTypes);
  const activeHoursFact = window ? `${window.from}-${window.to}` : undefined;
  const { scheduler, emit } = deps;

  /** Index of the first step above `verdict`; steps.length when the top level is reached. */
  const nextStep = (verdict: Verdict | undefined): number => nextStepIndex(steps, verdict);

  /** The instant step `i` is reached if readings keep arriving. */
  const reachedAt = (state: InactivityState, i: number): number =>
    addActiveTime(state.lastActive, steps[i]!.ms + state.excluded, window, state.lastReading.ctx.timeZone);

  const arm = (state: InactivityState): void => {
    const i = nextStep(state.verdict);
    if (i < steps.length) keyed.timers.arm(state, reachedAt(state, i));
    else keyed.timers.disarm(state);
  };

  const evidence = (state: InactivityState): EvidenceReading[] => {
    const readings: EvidenceReading[] = [];
    if (state.lastActiveReading) readings.push(evidenceOf(state.lastActiveReading));
    if (state.lastReading !== state.lastActiveReading) readings.push(evidenceOf(state.lastReading));
    return readings;
  };

  const emitVerdict = (state: InactivityState, eventTime: number, summary: string, facts: Detection['evidence']['facts']): void => {
    if (activeHoursFact !== undefined) {
      facts.activeHours = activeHoursFact;
      facts.timeZone = state.lastReading.ctx.timeZone;
    }
    emit(detection(scenario.id, state.key, state.verdict!, eventTime, scheduler.now(), summary, { readings: evidence(state), facts }, state.lastReading.ctx));
  };

  const emitActive = (state: InactivityState, reading: EnrichedReading): void => {
    state.verdict = 'ok';
    emitVerdict(state, reading.ts, `${noun} seen`, { lastActiveAt: state.lastActive });
  };

  /** Inactive time counted at `now`: active hours since the last activity, silence beyond maxSilence left out. */
  const inactiveAt = (state: InactivityState, now: number): number => {
    const countedUntil = Math.min(now, state.lastSeen + maxSilenceMs);
    return activeTimeBetween(state.lastActive, countedUntil, window, state.lastReading.ctx.timeZone) - state.excluded;
  };

  const levelSummary = (state: InactivityState, step: LevelStep): string => {
    const counted = describeActiveHours(window, state.lastReading.ctx.timeZone);
    return `no ${noun} for ${formatDuration(step.ms)}${counted ? ` (counted ${counted})` : ''}`;
  };

  const onDue = (state: InactivityState, now: number): void => {
    const countedUntil = Math.min(now, state.lastSeen + maxSilenceMs);
    const inactiveMs = inactiveAt(state, now);
    let i = nextStep(state.verdict);
    let reached = -1;
    while (i < steps.length && steps[i]!.ms <= inactiveMs) reached = i++;
    if (reached >= 0) {
      const step = steps[reached]!;
      state.verdict = step.level;
      keyed.touch(state);
      emitVerdict(state, reachedAt(state, reached), levelSummary(state, step), { inactiveMs: step.ms, lastActiveAt: state.lastActive });
    }
    if (i >= steps.length) return;
    // Silence froze the count: the next reading arms the key again.
    if (countedUntil < now) return;
    const due = reachedAt(state, i);
    keyed.timers.arm(state, due > now ? due : now + 1);
  };

  const keyed: KeyedStates<InactivityState> = new KeyedStates<InactivityState>(scheduler, onDue, {
    toJson: (s) => ({
      verdict: s.verdict ?? null, lastActive: s.lastActive, lastSeen: s.lastSeen, excluded: s.excluded,
      lastReading: readingToJson(s.lastReading), lastActiveReading: s.lastActiveReading ? readingToJson(s.lastActiveReading) : null,
    }),
    // The engine's downtime needs no special case here: the gap until the next reading is longer
    // than maxSilence, so it is counted as silence, not as inactivity.
    fromJson: (key, json, context) => {
      const reading = readingFromJson(json.lastReading as ReadingJson | undefined, context);
      if (!reading || typeof json.lastActive !== 'number' || typeof json.lastSeen !== 'number') return undefined;
      return {
        key, verdict: verdictFromJson(json.verdict), lastActive: json.lastActive, lastSeen: json.lastSeen,
        excluded: typeof json.excluded === 'number' ? json.excluded : 0,
        lastActiveReading: readingFromJson(json.lastActiveReading as ReadingJson | undefined, context), lastReading: reading, dueAt: 0, heapIndex: -1, listed: 0,
      };
    },
    rearm: (state) => {
      if (nextStep(state.verdict) < steps.length) arm(state);
    },
  }, undefined, refreshTolerance(Math.min(steps[0]!.ms, maxSilenceMs)));
  return keyed.model((reading) => {
    const key = keyOf(scenario.keyBy, reading);
    const no = keyNumberOf(scenario.keyBy, reading);
    const active = isActive(reading);
    let state = keyed.get(key, no);
    if (state === undefined) {
      // Nothing before the first reading is known: the count starts there.
      state = {
        key, verdict: undefined, lastActive: reading.ts, lastSeen: reading.ts, excluded: 0,
        lastActiveReading: active ? reading : undefined, lastReading: reading, dueAt: 0, heapIndex: -1, listed: 0,
      };
      keyed.add(state, no);
      keyed.touch(state);
      if (active) emitActive(state, reading);
      arm(state);
      return;
    }
    if (reading.ts > state.lastSeen) {
      const silentFrom = state.lastSeen + maxSilenceMs;
      if (!active && reading.ts > silentFrom) {
        const from = silentFrom > state.lastActive ? silentFrom : state.lastActive;
        state.excluded += activeTimeBetween(from, reading.ts, window, reading.ctx.timeZone);
        keyed.touch(state);
      }
      state.lastSeen = reading.ts;
      state.lastReading = reading;
    }
    // An active reading at the first reading's own time also counts: it decides the verdict.
    if (active && (reading.ts > state.lastActive || (reading.ts === state.lastActive && state.lastActiveReading === undefined))) {
      // Event time decides: a late active reading (NB-IoT batch) still moves lastActive forward.
      // Without its excluded silence the new count may reach the next level sooner than the armed
      // entry (activity otherwise only moves it later): then it is re-armed — rarely, after a gap.
      keyed.touch(state);
      let sooner = false;
      if (reading.ts > state.lastActive) {
        sooner = state.excluded > 0;
        state.lastActive = reading.ts;
        state.excluded = 0;
      }
      state.lastActiveReading = reading;
      if (state.verdict === undefined || state.verdict === 'ok') {
        if (state.verdict === undefined) emitActive(state, reading);
        if (sooner) arm(state);
      } else {
        // The activity ends the count only as far as its event time reaches: a late one (an old
        // reading delivered now) may leave a level standing, which the timer would raise again at
        // once — a clear and a new alert (or one suppressed by cooldown) for a resident still unseen.
        const reached = Math.min(highestStepReached(steps, inactiveAt(state, scheduler.now())), nextStep(state.verdict) - 1);
        if (reached < 0) {
          emitActive(state, reading);
        } else if (steps[reached]!.level !== state.verdict) {
          const step = steps[reached]!;
          state.verdict = step.level;
          const summary = `${levelSummary(state, step)}: the ${noun} reported was older`;
          emitVerdict(state, reading.ts, summary, { inactiveMs: step.ms, lastActiveAt: state.lastActive });
        }
        // The armed entry waits for a level above the old one; the next one up comes first now.
        arm(state);
      }
    }
    if (state.heapIndex < 0 && nextStep(state.verdict) < steps.length) arm(state);
    // An inactive reading in time moved only lastSeen on: a restore up to refreshTolerance older
    // counts the silence beyond maxSilence from a little earlier (≤ 1 % of the first level).
    keyed.refresh(state);
  });
}

/** What an inactivity file may leave out. */
const INACTIVITY_DEFAULTS = { maxSilence: '1h' } as const;

/** The inactivity model kind: no activity reading for a time, counted inside active hours. */
export const inactivity: ModelDefinition<'inactivity'> = {
  kind: 'inactivity',
  summary: 'inactivity: no activity reading for a time (inside active hours)',
  fields: {
    active: {
      $ref: '#/$defs/cel',
      description: '(inactivity only) CEL condition over a reading (`metrics`, `ts`, `device`, `subject`, `place`): the readings that count as activity.',
      examples: ['metrics.flow_lpm > 0.1'],
    },
    activeHours: {
      type: 'object',
      description:
        "(inactivity only) Daily window, in the place's time zone, in which inactive time is counted; `to` before `from` " +
        'spans midnight. Absent: the whole day counts.',
      required: ['from', 'to'],
      properties: {
        from: { type: 'string', description: 'Start of the window, HH:MM (24 h).', pattern: TIME_OF_DAY_PATTERN },
        to: { type: 'string', description: 'End of the window, HH:MM (24 h).', pattern: TIME_OF_DAY_PATTERN },
      },
      additionalProperties: false,
    },
    maxSilence: {
      $ref: '#/$defs/duration',
      description:
        '(inactivity only) A gap between readings longer than this is silence (the device may be offline), not inactivity: ' +
        "only this much of such a gap is counted. Must exceed the device's reporting interval.",
      default: INACTIVITY_DEFAULTS.maxSilence,
    },
  },
  required: ['active'],
  levels: {
    description: 'Inactive time (counted inside active hours only) at which each level is reached.',
    value: { $ref: '#/$defs/duration', description: 'Inactive time' },
  },
  defaults: INACTIVITY_DEFAULTS,
  expressions: () => [{ path: ['active'], scope: 'reading' }],
  check(doc) {
    const found = [...growingDurations(doc), ...positiveDuration(doc, ['maxSilence'])];
    const hours = doc.activeHours;
    if (isObject(hours) && typeof hours.from === 'string' && hours.from === hours.to) {
      found.push({ path: ['activeHours', 'to'], message: 'must differ from activeHours.from (leave activeHours out to count the whole day)' });
    }
    return found;
  },
  normalise(doc) {
    const hours = isObject(doc.activeHours) ? (doc.activeHours as unknown as ActiveHours) : undefined;
    return {
      active: doc.active as string,
      levels: durationLevels(doc),
      ...(hours !== undefined && { activeHours: { from: hours.from, to: hours.to } }),
      maxSilenceMs: durationField(doc, 'maxSilence', INACTIVITY_DEFAULTS.maxSilence),
    };
  },
  create: (scenario, deps, onExpressionError) => createInactivityModel(scenario, deps, onExpressionError),
};
