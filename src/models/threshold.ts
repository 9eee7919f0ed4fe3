import type { Detection, EvidenceReading } from '../contracts/detection.js';
import { LEVELS, type Level, type Verdict } from '../contracts/level.js';
import type { ExpressionSite, ModelDefinition, ModelDeps, ScenarioModel, ScenarioProblem } from '../contracts/model.js';
import type { MetricValue } from '../contracts/reading.js';
import type { EnrichedReading } from '../contracts/registry.js';
import type { LevelMap, ScenarioOf } from '../contracts/scenario.js';
import { LEVELS_HIGHEST_FIRST, isLevel, levelRank } from '../core/levels.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { compileReadingPredicate, ExpressionError, type ReadingPredicate } from '../core/expression.js';
import { detection, KeyedStates, type KeyedState } from './keyed-states.js';
import { evidenceOf, keyOf } from './model-key.js';
import { nanToNull, nullToNan, readingFromJson, readingToJson, verdictFromJson, type ReadingJson } from './model-snapshot.js';
import { durationField, isObject, levelMapSchema, mapLevels, METRIC_NAME_PATTERN, positiveDuration } from './scenario-fields.js';

/** The threshold model's own scenario fields. */
export interface ThresholdParameters {
  /** Metric bound to `value` in expressions; expressions may also use `metrics.<name>`. */
  metric?: string;
  /** Raise conditions per level (CEL), checked highest level first. */
  levels: LevelMap<string>;
  /** Per level: the condition must hold this long (event time) before the level is raised. */
  for: LevelMap<number>;
  /** Per level: the level is left only when this holds (hysteresis); default: raise condition false. */
  reset: LevelMap<string>;
  /**
   * A `for` duration counts only while readings keep confirming the condition at most this far
   * apart: a device that goes silent does not complete "water running for 2 h" on its last word.
   */
  maxGapMs: number;
}

declare module '../contracts/scenario.js' {
  interface ModelParameters {
    threshold: ThresholdParameters;
  }
}

export type ThresholdScenario = ScenarioOf<'threshold'>;

/** Readings per key kept as evidence: the newest in full, the ones before it as (device, ts, value). */
const EVIDENCE_READINGS = 5;

const NONE = 0, NUMBER = 1, FALSE = 2, TRUE = 3;

/**
 * The recent metric values of every key in flat typed arrays, one row of `depth` slots per key:
 * 17 bytes per kept value (25 when a key spans devices), where keeping the readings themselves
 * would retain ~135 bytes each (reading plus metrics object) — most of a key's budget of 1 KB.
 *
 * Time and value sit side by side in one array, and the device of each value is kept only for
 * keys that span devices (`keyBy: subject`; a device-keyed row has one device, the caller's): 40
 * bytes less per device-keyed key, and two arrays written per reading instead of four.
 */
class RecentValues {
  /** Per slot: event time, then the value (numbers; booleans are in `kinds`). */
  private samples: Float64Array;
  private kinds: Uint8Array;
  private devices: string[] | undefined;
  private rows = 0;

  constructor(private readonly depth: number, perValueDevice: boolean, private capacity = 1024) {
    this.samples = new Float64Array(capacity * depth * 2);
    this.kinds = new Uint8Array(capacity * depth);
    this.devices = perValueDevice ? new Array<string>(capacity * depth).fill('') : undefined;
  }

  /** A new row; its index is the key's for good (rows are freed all at once, with the model). */
  allocate(): number {
    if (this.rows === this.capacity) this.grow();
    return this.rows++;
  }

  /** Stores a value at position `seq` (a running count) of `row`, overwriting the oldest. */
  put(row: number, seq: number, deviceId: string, ts: number, value: MetricValue): void {
    const i = row * this.depth + (seq % this.depth);
    this.samples[2 * i] = ts;
    if (this.devices !== undefined) this.devices[i] = deviceId;
    if (typeof value === 'number') {
      this.kinds[i] = NUMBER;
      this.samples[2 * i + 1] = value;
    } else {
      this.kinds[i] = value ? TRUE : FALSE;
    }
  }

  /**
   * Evidence for the values before position `seq` (oldest first), at most depth − 1 of them;
   * `deviceId` is the row's device when values do not keep their own.
   */
  collect(row: number, seq: number, metric: string, deviceId: string, into: EvidenceReading[]): void {
    const from = Math.max(0, seq - (this.depth - 1));
    for (let n = from; n < seq; n++) {
      const i = row * this.depth + (n % this.depth);
      const kind = this.kinds[i];
      if (kind === NONE) continue;
      const value: MetricValue = kind === NUMBER ? this.samples[2 * i + 1]! : kind === TRUE;
      into.push({ deviceId: this.devices?.[i] ?? deviceId, ts: this.samples[2 * i]!, metrics: { [metric]: value } });
    }
  }

  private grow(): void {
    this.capacity *= 2;
    const size = this.capacity * this.depth;
    const samples = new Float64Array(size * 2);
    samples.set(this.samples);
    const kinds = new Uint8Array(size);
    kinds.set(this.kinds);
    this.samples = samples;
    this.kinds = kinds;
    if (this.devices !== undefined) this.devices = this.devices.concat(new Array<string>(size - this.devices.length).fill(''));
  }
}

/**
 * Per key and level spec: the event time since which the raise condition has held (NaN: not
 * holding). One Float64Array row per key instead of a number[] each (~60 B per key saved, and no
 * boxed doubles); rows are never freed, like the keys themselves.
 */
class SinceTable {
  private data: Float64Array;
  private rows = 0;

  constructor(private readonly width: number, private capacity = 1024) {
    this.data = new Float64Array(capacity * width).fill(NaN);
  }

  allocate(): number {
    if (this.rows === this.capacity) {
      this.capacity *= 2;
      const data = new Float64Array(this.capacity * this.width).fill(NaN);
      data.set(this.data);
      this.data = data;
    }
    return this.rows++;
  }

  get(row: number, spec: number): number {
    return this.data[row * this.width + spec]!;
  }

  set(row: number, spec: number, value: number): void {
    this.data[row * this.width + spec] = value;
  }
}

interface LevelSpec {
  level: Level;
  rank: number;
  /** Bit of this level in `ThresholdState.held`. */
  bit: number;
  raise: ReadingPredicate;
  raiseText: string;
  reset: ReadingPredicate | undefined;
  resetText: string | undefined;
  /** 0: raised as soon as the condition holds. */
  forMs: number;
}

interface ThresholdState extends KeyedState {
  verdict: Verdict;
  /** Event time of the newest reading; older readings no longer change state. */
  latestTs: number;
  /** Raise conditions that held on the newest reading, one bit per level spec. */
  held: number;
  /** Row in the SinceTable (per level spec: since when its raise condition has held). */
  sinceRow: number;
  lastReading: EnrichedReading;
  lastValue: MetricValue | undefined;
  /** Row in RecentValues, and how many values it has seen (-1: no row, the scenario has no metric). */
  recentRow: number;
  recentSeq: number;
}

type ErrorHandler = ((err: Error) => void) | undefined;

function compile(scenario: ThresholdScenario, field: string, expression: string, onError: ErrorHandler): ReadingPredicate {
  try {
    return compileReadingPredicate(expression, onError);
  } catch (err) {
    if (err instanceof ExpressionError) throw ERR_SCENARIO_INVALID(scenario.id, `${field}: ${err.message}`);
    throw err;
  }
}

function compileLevels(scenario: ThresholdScenario, onError: ErrorHandler): LevelSpec[] {
  const specs: LevelSpec[] = [];
  for (const level of LEVELS_HIGHEST_FIRST) {
    const raiseText = scenario.levels[level];
    if (raiseText === undefined) continue;
    const resetText = scenario.reset?.[level];
    const forMs = scenario.for?.[level] ?? 0;
    if (!(forMs >= 0)) throw ERR_SCENARIO_INVALID(scenario.id, `for.${level} must be a duration`);
    specs.push({
      level,
      rank: levelRank(level),
      bit: 1 << specs.length,
      raise: compile(scenario, `levels.${level}`, raiseText, onError),
      raiseText,
      reset: resetText === undefined ? undefined : compile(scenario, `reset.${level}`, resetText, onError),
      resetText,
      forMs,
    });
  }
  if (specs.length === 0) throw ERR_SCENARIO_INVALID(scenario.id, 'levels: at least one level needs a condition');
  for (const [field, perLevel] of [['for', scenario.for], ['reset', scenario.reset]] as const) {
    for (const level of Object.keys(perLevel ?? {})) {
      if (!specs.some((spec) => spec.level === level)) throw ERR_SCENARIO_INVALID(scenario.id, `${field}.${level} has no raise condition in levels`);
    }
  }
  return specs;
}

/**
 * Threshold model with Kapacitor's level semantics (`determineLevel`): the highest level whose
 * raise condition holds wins, and each level may have its own `reset` (hysteresis) and `for`
 * (the condition must hold for a duration of event time before the level is raised).
 *
 * Per reading: one CEL evaluation per level (plus a reset when leaving a level), no allocation;
 * a heap operation only when a pending `for` deadline changes. An expression that fails on a
 * reading counts as false and is reported to `onExpressionError`.
 */
export function createThresholdModel(scenario: ThresholdScenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel {
  const specs = compileLevels(scenario, onExpressionError);
  const metric = scenario.metric;
  const { scheduler, emit } = deps;
  // Without a metric there is no single value to keep: the evidence is the deciding reading alone.
  let recent = metric === undefined ? undefined : new RecentValues(EVIDENCE_READINGS, scenario.keyBy === 'subject');
  const since = new SinceTable(specs.length);
  const anyFor = specs.some((spec) => spec.forMs > 0);
  // A `for` duration needs readings confirming it no further apart than this (silence is not evidence).
  const maxGap = scenario.maxGapMs;
  const specIndex = new Map<Verdict, number>(specs.map((spec, i) => [spec.level, i]));
  const satisfied = (state: ThresholdState, index: number, at: number): boolean => {
    const spec = specs[index]!;
    if ((state.held & spec.bit) === 0) return false;
    return spec.forMs === 0 || at - since.get(state.sinceRow, index) >= spec.forMs;
  };

  /** Highest level above `rank` that is satisfied at `at`, or -1. */
  const raisedAbove = (state: ThresholdState, rank: number, at: number): number => {
    for (let i = 0; i < specs.length && specs[i]!.rank > rank; i++) if (satisfied(state, i, at)) return i;
    return -1;
  };

  /** Highest satisfied level at or below `rank` (below it when `strictlyBelow`), or -1. */
  const satisfiedBelow = (state: ThresholdState, rank: number, at: number, strictlyBelow: boolean): number => {
    for (let i = 0; i < specs.length; i++) {
      const specRank = specs[i]!.rank;
      if (specRank > rank || (strictlyBelow && specRank === rank)) continue;
      if (satisfied(state, i, at)) return i;
    }
    return -1;
  };

  const determine = (state: ThresholdState, prev: Verdict, reading: EnrichedReading, value: MetricValue | undefined): number => {
    const prevRank = levelRank(prev);
    const higher = raisedAbove(state, prevRank, reading.ts);
    if (higher >= 0) return higher;
    if (prev === 'ok') return -1;
    const prevIndex = specIndex.get(prev)!;
    const prevReset = specs[prevIndex]!.reset;
    if (prevReset) {
      // Hysteresis: the level is left only once its reset holds, so a value hovering at the raise
      // boundary does not flap.
      if (!prevReset(reading, value)) return prevIndex;
      return satisfiedBelow(state, prevRank, reading.ts, true);
    }
    return satisfiedBelow(state, prevRank, reading.ts, false);
  };

  /** Arms the earliest `for` deadline that could still raise the verdict, or disarms. */
  const armPending = (state: ThresholdState): void => {
    if (!anyFor) return;
    const rank = levelRank(state.verdict);
    let due = Infinity;
    for (let i = 0; i < specs.length && specs[i]!.rank > rank; i++) {
      const spec = specs[i]!;
      if (spec.forMs === 0 || (state.held & spec.bit) === 0) continue;
      const at = since.get(state.sinceRow, i) + spec.forMs;
      // Beyond the last reading's reach the duration cannot complete on evidence; the next
      // reading re-arms it (or restarts it, after a gap).
      if (at - state.latestTs > maxGap) continue;
      if (at < due) due = at;
    }
    if (due === Infinity) keyed.timers.disarm(state);
    else if (state.heapIndex < 0 || state.dueAt !== due) keyed.timers.arm(state, due);
  };

  const describe = (index: number): string => {
    const spec = specs[index]!;
    return spec.forMs > 0 ? `${spec.level} condition (${spec.raiseText}) for ${formatDuration(spec.forMs)}` : `${spec.level} condition (${spec.raiseText})`;
  };

  const subjectText = (value: MetricValue | undefined): string => (metric === undefined ? 'reading' : `${metric} ${String(value)}`);

  const evidence = (state: ThresholdState): EvidenceReading[] => {
    const readings: EvidenceReading[] = [];
    if (recent !== undefined && metric !== undefined) recent.collect(state.recentRow, state.recentSeq - 1, metric, state.lastReading.deviceId, readings);
    readings.push(evidenceOf(state.lastReading));
    return readings;
  };

  const emitVerdict = (state: ThresholdState, index: number, eventTime: number, viaReset: string | undefined): void => {
    const value = state.lastValue;
    const facts: Detection['evidence']['facts'] = {};
    if (value !== undefined) facts.value = value;
    let summary: string;
    if (index >= 0) {
      const spec = specs[index]!;
      facts.threshold = spec.raiseText;
      if (spec.forMs > 0) {
        facts.forMs = spec.forMs;
        facts.since = since.get(state.sinceRow, index);
      }
      // "gas_lel_pct 27 ≥ red condition (value >= 25)"; without a metric there is no value to show.
      summary = metric === undefined ? `${describe(index)} holds` : `${subjectText(value)} ≥ ${describe(index)}`;
    } else {
      summary = `${subjectText(value)}: no level condition holds`;
    }
    if (viaReset !== undefined) facts.reset = viaReset;
    emit(detection(scenario.id, state.key, state.verdict, eventTime, scheduler.now(), summary, { readings: evidence(state), facts }, state.lastReading.ctx));
  };

  const onDue = (state: ThresholdState): void => {
    // Only raising is possible here: the held conditions are those of the last reading, and time
    // passing can only complete `for` durations, never undo them.
    const at = state.dueAt;
    const index = raisedAbove(state, levelRank(state.verdict), at);
    if (index >= 0) {
      const spec = specs[index]!;
      state.verdict = spec.level;
      emitVerdict(state, index, spec.forMs > 0 ? since.get(state.sinceRow, index) + spec.forMs : at, undefined);
    }
    armPending(state);
  };

  const keyed: KeyedStates<ThresholdState> = new KeyedStates<ThresholdState>(scheduler, onDue, {
    toJson: (s) => ({ verdict: s.verdict, latestTs: s.latestTs, held: s.held, since: specs.map((_, i) => nanToNull(since.get(s.sinceRow, i))), lastReading: readingToJson(s.lastReading) }),
    fromJson: (key, json, context) => {
      const reading = readingFromJson(json.lastReading as ReadingJson | undefined, context);
      const sinceJson = json.since;
      // `held` and `since` are positional per level spec: the fingerprint check upstream keeps
      // them aligned; a length mismatch still drops the entry rather than misreading it.
      if (!reading || !Array.isArray(sinceJson) || sinceJson.length !== specs.length || typeof json.held !== 'number') return undefined;
      const value = metric === undefined ? undefined : reading.metrics[metric];
      const state: ThresholdState = {
        key, verdict: verdictFromJson(json.verdict) ?? 'ok', latestTs: typeof json.latestTs === 'number' ? json.latestTs : reading.ts,
        held: json.held, sinceRow: since.allocate(), lastReading: reading, lastValue: value,
        recentRow: recent ? recent.allocate() : -1, recentSeq: 0, dueAt: 0, heapIndex: -1,
      };
      sinceJson.forEach((t, i) => since.set(state.sinceRow, i, nullToNan(t)));
      if (recent !== undefined && value !== undefined) recent.put(state.recentRow, state.recentSeq++, reading.deviceId, reading.ts, value);
      return state;
    },
    rearm: (state) => armPending(state),
  }, () => {
    recent = undefined;
  });
  const states = keyed.map;

  return keyed.model((reading) => {
    let value: MetricValue | undefined;
    if (metric !== undefined) {
      value = reading.metrics[metric];
      // A reading without the metric (a detector's battery heartbeat) says nothing about it.
      if (value === undefined) return;
    }
    const key = keyOf(scenario.keyBy, reading);
    let state = states.get(key);
    if (state !== undefined && reading.ts < state.latestTs) return; // late data never moves state back
    const gapped = state !== undefined && reading.ts - state.latestTs > maxGap;
    let held = 0;
    for (const spec of specs) if (spec.raise(reading, value)) held |= spec.bit;
    const first = state === undefined;
    if (state === undefined) {
      state = {
        key, verdict: 'ok', latestTs: reading.ts, held, sinceRow: since.allocate(), lastReading: reading, lastValue: value,
        recentRow: recent ? recent.allocate() : -1, recentSeq: 0, dueAt: 0, heapIndex: -1,
      };
      states.set(key, state);
    }
    state.latestTs = reading.ts;
    state.held = held;
    state.lastReading = reading;
    state.lastValue = value;
    if (recent !== undefined) recent.put(state.recentRow, state.recentSeq++, reading.deviceId, reading.ts, value!);
    for (let i = 0; i < specs.length; i++) {
      if (specs[i]!.forMs === 0) continue;
      if ((held & specs[i]!.bit) === 0) since.set(state.sinceRow, i, NaN);
      else if (gapped || Number.isNaN(since.get(state.sinceRow, i))) since.set(state.sinceRow, i, reading.ts);
    }
    const prev = state.verdict;
    const index = determine(state, prev, reading, value);
    const next: Verdict = index >= 0 ? specs[index]!.level : 'ok';
    if (first || next !== prev) {
      state.verdict = next;
      const left = levelRank(next) < levelRank(prev) ? specs[specIndex.get(prev)!]!.resetText : undefined;
      emitVerdict(state, index, reading.ts, left);
    }
    armPending(state);
  });
}

/** What a threshold file may leave out. */
const THRESHOLD_DEFAULTS = { maxGap: '1h' } as const;

/** The threshold model kind: CEL conditions on each reading, highest level first, each with its own `for` and `reset`. */
export const threshold: ModelDefinition<'threshold'> = {
  kind: 'threshold',
  summary: 'threshold: CEL conditions on each reading, optionally held for a while',
  fields: {
    metric: {
      type: 'string',
      description: '(threshold only) Metric bound to `value` in the level and reset expressions. Without it, expressions use `metrics.<name>`.',
      pattern: METRIC_NAME_PATTERN,
      examples: ['gas_lel_pct', 'flow_lpm'],
    },
    for: levelMapSchema('(threshold only) Per level: how long (event time) the raise condition must hold before the level is raised.', {
      $ref: '#/$defs/duration',
      description: 'Hold time',
    }),
    reset: levelMapSchema(
      '(threshold only) Per level: the level is left only when this CEL condition holds (hysteresis, so a value hovering ' +
        'at the threshold does not flap). Default: the raise condition is false.',
      { $ref: '#/$defs/cel', description: 'Reset condition' },
    ),
    maxGap: {
      $ref: '#/$defs/duration',
      description:
        '(threshold only) A `for` duration counts only while readings confirming the condition arrive at most this far apart; ' +
        "a longer gap restarts it, so a silent device never completes one. Must exceed the device's reporting interval.",
      default: THRESHOLD_DEFAULTS.maxGap,
    },
  },
  levels: { description: 'Raise condition per level (CEL), checked highest level first.', value: { $ref: '#/$defs/cel', description: 'Raise condition' } },
  defaults: THRESHOLD_DEFAULTS,
  valueHint: '`value` is bound only when the scenario sets `metric`; use metrics.<name>',
  expressions(doc) {
    const scope: ExpressionSite['scope'] = doc.metric === undefined ? 'reading' : 'readingWithValue';
    const sites: ExpressionSite[] = [];
    for (const map of ['levels', 'reset'] as const) {
      const levels = doc[map];
      if (!isObject(levels)) continue;
      for (const level of LEVELS) {
        if (level in levels) sites.push({ path: [map, level], scope });
      }
    }
    return sites;
  },
  check(doc) {
    const levels = isObject(doc.levels) ? doc.levels : undefined;
    const found: ScenarioProblem[] = [];
    if (levels) {
      const present = LEVELS.filter((level) => level in levels);
      for (const map of ['for', 'reset'] as const) {
        const perLevel = doc[map];
        if (!isObject(perLevel)) continue;
        for (const level of Object.keys(perLevel)) {
          if (!isLevel(level) || level in levels) continue; // unknown level names: the schema reports them
          found.push({ path: [map, level], atKey: true, message: `level ${level} has no raise condition in levels (levels has ${present.join(', ') || 'none'})` });
        }
      }
    }
    return [...found, ...positiveDuration(doc, ['maxGap'])];
  },
  normalise: (doc) => ({
    ...(typeof doc.metric === 'string' && { metric: doc.metric }),
    levels: mapLevels<string, string>(doc.levels, (expr) => expr),
    for: mapLevels<string, number>(doc.for, parseDuration),
    reset: mapLevels<string, string>(doc.reset, (expr) => expr),
    maxGapMs: durationField(doc, 'maxGap', THRESHOLD_DEFAULTS.maxGap),
  }),
  create: (scenario, deps, onExpressionError) => createThresholdModel(scenario, deps, onExpressionError),
};
