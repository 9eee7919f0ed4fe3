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
import { detection, KeyedStates, refreshTolerance, type KeyedState } from './keyed-states.js';
import { evidenceOf, keyNumberOf, keyOf } from './model-key.js';
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

/** How a recent value is kept (2 bits per slot in a row's RECENT_KINDS). */
const NONE = 0, NUMBER = 1, FALSE = 2, TRUE = 3;

/** Columns of a key's row in `ThresholdRows`; the level specs' `since` times follow them, then the recent values. */
const LATEST_TS = 0; // event time of the newest reading; older readings no longer change state
const HELD = 1; // raise conditions that held on the newest reading, one bit per level spec
const VERDICT = 2; // index of the verdict's level spec, -1 for ok
const RECENT_SEQ = 3; // values the key has kept as recent values, ever
const ARMED_AT = 4; // the due time its timer is armed at, NaN while unarmed (mirrors the TimerQueue)
const RECENT_KINDS = 5; // how each recent value is kept: 2 bits per slot (NONE, NUMBER, FALSE, TRUE)
const LATCHED = 6; // levels whose raise condition held and reset has not since, one bit per level spec
const SINCE = 7; // per level spec: since when its raise condition has held (NaN: not holding)
// ... then per recent slot: event time, value (numbers; booleans are in RECENT_KINDS).

/**
 * Every key's state in flat arrays, one row per key, rows never freed (like the keys): the numbers
 * a reading reads and writes side by side in one Float64Array row — verdict, times, held
 * conditions, and the recent values kept as evidence (16 bytes a value, where keeping the
 * readings themselves would retain ~135 bytes each) — the newest reading, the key and the key's
 * `ThresholdState` (what the timer queue and the snapshot hold, touched only when a timer or a
 * verdict changes) in plain arrays. A key is found by the dense number of its id
 * (DeviceContext.deviceNo / subjectNo) in an Int32Array, and checked against its row's key. Replay
 * profile: a state object, a Map entry and two tables per key cost a cache miss each per reading;
 * this costs about one per cache line of the row.
 */
class ThresholdRows {
  data: Float64Array;
  readonly keys: string[] = [];
  readonly lastReadings: EnrichedReading[] = [];
  readonly states: ThresholdState[] = [];
  /** Row of each key number, -1 where none is known yet. */
  private rowByNumber: Int32Array = new Int32Array(0);
  private rows = 0;

  constructor(readonly width: number, private capacity = 1024) {
    this.data = new Float64Array(capacity * width);
  }

  /** A new row for `key`, its numbers reset (NaN for times not yet known). */
  allocate(key: string, reading: EnrichedReading, state: ThresholdState): number {
    if (this.rows === this.capacity) {
      this.capacity *= 2;
      const data = new Float64Array(this.capacity * this.width);
      data.set(this.data);
      this.data = data;
    }
    const row = this.rows++;
    const base = row * this.width;
    this.data.fill(NaN, base, base + this.width);
    this.data[base + HELD] = 0;
    this.data[base + VERDICT] = -1;
    this.data[base + RECENT_SEQ] = 0;
    this.data[base + RECENT_KINDS] = 0;
    this.data[base + LATCHED] = 0;
    this.keys.push(key);
    this.lastReadings.push(reading);
    this.states.push(state);
    return row;
  }

  /** The row of `key` by its number `no`, or -1 when the number does not lead to it. */
  rowOf(key: string, no: number): number {
    if (no >= this.rowByNumber.length) return -1;
    const row = this.rowByNumber[no]!;
    return row >= 0 && this.keys[row] === key ? row : -1;
  }

  /** Remembers that number `no` leads to `row`. */
  number(no: number, row: number): void {
    if (no >= this.rowByNumber.length) {
      const grown = new Int32Array(Math.max(1024, no + 1, this.rowByNumber.length * 2)).fill(-1);
      grown.set(this.rowByNumber);
      this.rowByNumber = grown;
    }
    this.rowByNumber[no] = row;
  }
}

interface LevelSpec {
  level: Level;
  rank: number;
  /** Bit of this level in a row's HELD column. */
  bit: number;
  raise: ReadingPredicate;
  raiseText: string;
  reset: ReadingPredicate | undefined;
  resetText: string | undefined;
  /** 0: raised as soon as the condition holds. */
  forMs: number;
}

/** A key's handle: its row, and its place in the timer queue. The rest is in `ThresholdRows`. */
interface ThresholdState extends KeyedState {
  row: number;
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
 * (the condition must hold for a duration of event time before the level is raised). Unlike
 * Kapacitor, falling readings never skip a level that still holds, `for` or not (`determine`).
 *
 * Per reading: one CEL evaluation per level (plus a reset per latched level whose condition just
 * failed), no allocation;
 * a heap operation only when a pending `for` deadline changes. An expression that fails on a
 * reading counts as false and is reported to `onExpressionError`.
 */
export function createThresholdModel(scenario: ThresholdScenario, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel {
  const specs = compileLevels(scenario, onExpressionError);
  const metric = scenario.metric;
  const { scheduler, emit } = deps;
  // Without a metric there is no single value to keep: the evidence is the deciding reading alone.
  const depth = metric === undefined ? 0 : EVIDENCE_READINGS;
  const recentAt = SINCE + specs.length;
  const width = recentAt + 2 * depth;
  let rows = new ThresholdRows(width);
  // The device of each recent value, kept only for keys that span devices (`keyBy: subject`; a
  // device-keyed row has one device, its newest reading's): depth per row.
  let recentDevices: string[] | undefined = depth > 0 && scenario.keyBy === 'subject' ? [] : undefined;

  /** Keeps `value` as the row's newest recent value, over the oldest. */
  const putRecent = (row: number, deviceId: string, ts: number, value: MetricValue): void => {
    const data = rows.data;
    const base = row * width;
    const seq = data[base + RECENT_SEQ]!;
    data[base + RECENT_SEQ] = seq + 1;
    const slot = seq % depth;
    const at = base + recentAt + 2 * slot;
    data[at] = ts;
    let kind: number;
    if (typeof value === 'number') {
      kind = NUMBER;
      data[at + 1] = value;
    } else {
      kind = value ? TRUE : FALSE;
    }
    data[base + RECENT_KINDS] = (data[base + RECENT_KINDS]! & ~(3 << (2 * slot))) | (kind << (2 * slot));
    if (recentDevices !== undefined) {
      while (recentDevices.length < (row + 1) * depth) recentDevices.push('');
      recentDevices[row * depth + slot] = deviceId;
    }
  };

  /**
   * Evidence for the recent values before the newest (oldest first), at most depth − 1 of them;
   * `deviceId` is the row's device when values do not keep their own.
   */
  const collectRecent = (row: number, deviceId: string, into: EvidenceReading[]): void => {
    const data = rows.data;
    const base = row * width;
    const seq = data[base + RECENT_SEQ]! - 1;
    const kinds = data[base + RECENT_KINDS]!;
    for (let n = Math.max(0, seq - (depth - 1)); n < seq; n++) {
      const slot = n % depth;
      const kind = (kinds >> (2 * slot)) & 3;
      if (kind === NONE) continue;
      const at = base + recentAt + 2 * slot;
      const value: MetricValue = kind === NUMBER ? data[at + 1]! : kind === TRUE;
      into.push({ deviceId: recentDevices?.[row * depth + slot] ?? deviceId, ts: data[at]!, metrics: { [metric!]: value } });
    }
  };
  const anyFor = specs.some((spec) => spec.forMs > 0);
  // A `for` duration needs readings confirming it no further apart than this (silence is not evidence).
  const maxGap = scenario.maxGapMs;
  const specIndex = new Map<Verdict, number>(specs.map((spec, i) => [spec.level, i]));
  const OK_RANK = levelRank('ok');
  /** The verdict a row's VERDICT column stands for, and its rank. */
  const verdictOf = (index: number): Verdict => (index < 0 ? 'ok' : specs[index]!.level);
  const rankOf = (index: number): number => (index < 0 ? OK_RANK : specs[index]!.rank);

  const satisfied = (base: number, index: number, at: number): boolean => {
    const spec = specs[index]!;
    const data = rows.data;
    if ((data[base + HELD]! & spec.bit) === 0) return false;
    return spec.forMs === 0 || at - data[base + SINCE + index]! >= spec.forMs;
  };

  /** Highest level above `rank` that is satisfied at `at`, or -1. */
  const raisedAbove = (base: number, rank: number, at: number): number => {
    for (let i = 0; i < specs.length && specs[i]!.rank > rank; i++) if (satisfied(base, i, at)) return i;
    return -1;
  };

  /**
   * The verdict after a reading or a timer, from `prevIndex` (README, "Alert semantics"). A level
   * above the verdict is raised once its condition has held for its `for`. Falling, the verdict
   * moves to the highest latched level — one whose raise condition held and whose reset has not
   * held since — never above where it was, and to ok only once no level is latched. A latched level
   * above the verdict (its `for` still running) keeps the verdict where it is. So an alert is never
   * cleared while any level's condition holds: a red gas alert at 7 %LEL goes to yellow although
   * yellow's `for` has not run yet — the leak was confirmed by red; dropping it would leave a
   * detector reading a leak with no alert and no order (safety first).
   */
  const determine = (base: number, prevIndex: number, at: number): number => {
    const prevRank = rankOf(prevIndex);
    const higher = raisedAbove(base, prevRank, at);
    if (higher >= 0 || prevIndex < 0) return higher;
    const latched = rows.data[base + LATCHED]!;
    // Highest first: the first latched level decides, capped at the verdict.
    for (let i = 0; i < specs.length; i++) {
      if ((latched & specs[i]!.bit) !== 0) return specs[i]!.rank >= prevRank ? prevIndex : i;
    }
    return -1;
  };

  /** Arms the earliest `for` deadline that could still raise the verdict, or disarms. */
  const armPending = (row: number): void => {
    if (!anyFor) return;
    const data = rows.data;
    const base = row * width;
    const rank = rankOf(data[base + VERDICT]!);
    const held = data[base + HELD]!;
    let due = Infinity;
    for (let i = 0; i < specs.length && specs[i]!.rank > rank; i++) {
      const spec = specs[i]!;
      if (spec.forMs === 0 || (held & spec.bit) === 0) continue;
      const at = data[base + SINCE + i]! + spec.forMs;
      // Beyond the last reading's reach the duration cannot complete on evidence; the next
      // reading re-arms it (or restarts it, after a gap).
      if (at - data[base + LATEST_TS]! > maxGap) continue;
      if (at < due) due = at;
    }
    // The timer queue is touched only when the deadline changes (ARMED_AT mirrors it).
    const armedAt = data[base + ARMED_AT]!;
    if (due === Infinity) {
      if (armedAt === armedAt) {
        keyed.timers.disarm(rows.states[row]!);
        data[base + ARMED_AT] = NaN;
      }
    } else if (armedAt !== due) {
      keyed.timers.arm(rows.states[row]!, due);
      data[base + ARMED_AT] = due;
    }
  };

  const describe = (index: number): string => {
    const spec = specs[index]!;
    return spec.forMs > 0 ? `${spec.level} condition (${spec.raiseText}) for ${formatDuration(spec.forMs)}` : `${spec.level} condition (${spec.raiseText})`;
  };

  const subjectText = (value: MetricValue | undefined): string => (metric === undefined ? 'reading' : `${metric} ${String(value)}`);

  const evidence = (row: number, last: EnrichedReading): EvidenceReading[] => {
    const readings: EvidenceReading[] = [];
    if (depth > 0) collectRecent(row, last.deviceId, readings);
    readings.push(evidenceOf(last));
    return readings;
  };

  const emitVerdict = (row: number, index: number, eventTime: number, viaReset: string | undefined): void => {
    const last = rows.lastReadings[row]!;
    // The value the verdict is about: the newest reading's (metrics are never changed once read).
    const value = metric === undefined ? undefined : last.metrics[metric];
    const facts: Detection['evidence']['facts'] = {};
    if (value !== undefined) facts.value = value;
    let summary: string;
    const base = row * width;
    if (index >= 0 && !satisfied(base, index, eventTime)) {
      // Kept on the way down by its latch, not raised by it: say which, not "≥ … for 1m".
      const spec = specs[index]!;
      facts.threshold = spec.raiseText;
      facts.latched = true;
      const subject = metric === undefined ? '' : `${subjectText(value)}: `;
      summary = (rows.data[base + HELD]! & spec.bit) !== 0
        ? `${subject}${spec.level} condition (${spec.raiseText}) still holds`
        : `${subject}${spec.level} kept until its reset (${spec.resetText ?? `not ${spec.raiseText}`}) holds`;
    } else if (index >= 0) {
      const spec = specs[index]!;
      facts.threshold = spec.raiseText;
      if (spec.forMs > 0) {
        facts.forMs = spec.forMs;
        facts.since = rows.data[base + SINCE + index]!;
      }
      // "gas_lel_pct 27 ≥ red condition (value >= 25)"; without a metric there is no value to show.
      summary = metric === undefined ? `${describe(index)} holds` : `${subjectText(value)} ≥ ${describe(index)}`;
    } else {
      summary = `${subjectText(value)}: no level condition holds`;
    }
    if (viaReset !== undefined) facts.reset = viaReset;
    const verdict = verdictOf(rows.data[base + VERDICT]!);
    emit(detection(scenario.id, rows.keys[row]!, verdict, eventTime, scheduler.now(), summary, { readings: evidence(row, last), facts }, last.ctx));
  };

  const onDue = (state: ThresholdState): void => {
    // Only raising is possible here: the held conditions are those of the last reading, and time
    // passing can only complete `for` durations, never undo them.
    const row = state.row;
    const data = rows.data;
    const base = row * width;
    data[base + ARMED_AT] = NaN; // the queue disarmed it to fire it
    const at = state.dueAt;
    const index = raisedAbove(base, rankOf(data[base + VERDICT]!), at);
    if (index >= 0) {
      const spec = specs[index]!;
      data[base + VERDICT] = index;
      keyed.touch(state);
      emitVerdict(row, index, spec.forMs > 0 ? data[base + SINCE + index]! + spec.forMs : at, undefined);
    }
    armPending(row);
  };

  /** A row for a new key (its handle in the map too), its newest reading `reading`. */
  const addKey = (key: string, reading: EnrichedReading): number => {
    const state: ThresholdState = { key, row: -1, dueAt: 0, heapIndex: -1, listed: 0 };
    const row = rows.allocate(key, reading, state);
    state.row = row;
    keyed.map.set(key, state);
    return row;
  };

  /** The row of `key` (number `no` when its context has one), or -1 for a key not met yet. */
  const find = (key: string, no: number | undefined): number => {
    if (no !== undefined) {
      const row = rows.rowOf(key, no);
      if (row >= 0) return row;
    }
    const state = keyed.map.get(key);
    if (state === undefined) return -1;
    if (no !== undefined) rows.number(no, state.row);
    return state.row;
  };

  const keyed: KeyedStates<ThresholdState> = new KeyedStates<ThresholdState>(scheduler, onDue, {
    toJson: (s) => {
      const base = s.row * width;
      const data = rows.data;
      return {
        verdict: verdictOf(data[base + VERDICT]!), latestTs: data[base + LATEST_TS]!, held: data[base + HELD]!,
        latched: data[base + LATCHED]!, since: specs.map((_, i) => nanToNull(data[base + SINCE + i]!)), lastReading: readingToJson(rows.lastReadings[s.row]!),
      };
    },
    fromJson: (key, json, context) => {
      const reading = readingFromJson(json.lastReading as ReadingJson | undefined, context);
      const sinceJson = json.since;
      // `held` and `since` are positional per level spec: the fingerprint check upstream keeps
      // them aligned; a length mismatch still drops the entry rather than misreading it.
      if (!reading || !Array.isArray(sinceJson) || sinceJson.length !== specs.length || typeof json.held !== 'number') return undefined;
      const value = metric === undefined ? undefined : reading.metrics[metric];
      const verdict = verdictFromJson(json.verdict) ?? 'ok';
      // The KeyedStates skeleton adds the handle to the map; the row is the model's own.
      const state: ThresholdState = { key, row: -1, dueAt: 0, heapIndex: -1, listed: 0 };
      const row = rows.allocate(key, reading, state);
      state.row = row;
      const base = row * width;
      const data = rows.data;
      data[base + VERDICT] = verdict === 'ok' ? -1 : (specIndex.get(verdict) ?? -1);
      data[base + LATEST_TS] = typeof json.latestTs === 'number' ? json.latestTs : reading.ts;
      data[base + HELD] = json.held;
      // The verdict's own level is always latched: a level is left only when its reset holds. The
      // engine restores the verdict from the alert open in the store, which may be newer than the
      // checkpoint (an alert opened after it, before a kill -9): its level must hold the alert until
      // its own reset. A snapshot from before latches: the held levels are engaged too.
      const verdictBit = verdict === 'ok' ? 0 : (specs[specIndex.get(verdict) ?? -1]?.bit ?? 0);
      data[base + LATCHED] = (typeof json.latched === 'number' ? json.latched : json.held) | verdictBit;
      sinceJson.forEach((t, i) => {
        data[base + SINCE + i] = nullToNan(t);
      });
      if (depth > 0 && value !== undefined) putRecent(row, reading.deviceId, reading.ts, value);
      return state;
    },
    rearm: (state) => armPending(state.row),
  }, () => {
    recentDevices = undefined;
    rows = new ThresholdRows(width, 1);
  }, refreshTolerance(maxGap));

  return keyed.model((reading) => {
    let value: MetricValue | undefined;
    if (metric !== undefined) {
      value = reading.metrics[metric];
      // A reading without the metric (a detector's battery heartbeat) says nothing about it.
      if (value === undefined) return;
    }
    const key = keyOf(scenario.keyBy, reading);
    const no = keyNumberOf(scenario.keyBy, reading);
    let row = find(key, no);
    const ts = reading.ts;
    let gapped = false;
    if (row >= 0) {
      const latest = rows.data[row * width + LATEST_TS]!;
      if (ts < latest) return; // late data never moves state back
      gapped = ts - latest > maxGap;
    }
    let held = 0;
    for (let i = 0; i < specs.length; i++) if (specs[i]!.raise(reading, value)) held |= specs[i]!.bit;
    const first = row < 0;
    if (first) {
      row = addKey(key, reading);
      if (no !== undefined) rows.number(no, row);
    }
    const data = rows.data;
    const base = row * width;
    // What a restore decides by changed (levels held or latched, a duration's start, the verdict):
    // the key goes with the next checkpoint; else only the newest reading moved on (refreshed).
    let decisive = first || data[base + HELD] !== held;
    data[base + LATEST_TS] = ts;
    data[base + HELD] = held;
    rows.lastReadings[row] = reading;
    if (depth > 0) putRecent(row, reading.deviceId, ts, value!);
    for (let i = 0; i < specs.length; i++) {
      if (specs[i]!.forMs === 0) continue;
      const since = base + SINCE + i;
      if ((held & specs[i]!.bit) === 0) {
        if (!Number.isNaN(data[since]!)) decisive = true;
        data[since] = NaN;
      } else if (gapped || Number.isNaN(data[since]!)) {
        data[since] = ts;
        decisive = true;
      }
    }
    // A level stays latched until its reset holds (default: until its raise condition is false).
    // Only latched levels whose condition just failed cost a reset evaluation: none while all is well.
    let latched = data[base + LATCHED]! | held;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      if ((latched & spec.bit) === 0 || (held & spec.bit) !== 0) continue;
      if (spec.reset === undefined || spec.reset(reading, value)) latched &= ~spec.bit;
    }
    if (data[base + LATCHED] !== latched) decisive = true;
    data[base + LATCHED] = latched;
    const prev = data[base + VERDICT]!;
    const index = determine(base, prev, ts);
    if (decisive || index !== prev) keyed.touch(rows.states[row]!);
    else keyed.refresh(rows.states[row]!);
    if (first || index !== prev) {
      data[base + VERDICT] = index;
      const left = rankOf(index) < rankOf(prev) ? specs[prev]!.resetText : undefined;
      emitVerdict(row, index, ts, left);
    }
    armPending(row);
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
