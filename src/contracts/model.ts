import type { Scheduler } from './clock.js';
import type { Detection } from './detection.js';
import type { Level } from './level.js';
import type { DeviceContext, EnrichedReading } from './registry.js';
import type { ModelKind, ModelParameters, ScenarioOf } from './scenario.js';

/**
 * One key's state in plain JSON: what a checkpoint writes and a restart reads back. `state.verdict`
 * is the key's verdict ('ok', a level, or null while undecided); a restore settles it against the
 * alerts open in the store.
 */
export interface SnapshotEntry {
  key: string;
  state: Record<string, unknown>;
}

/**
 * The keys of a model whose state changed since they were last taken (dirty keys), handed to a
 * checkpoint. A key is read only when the checkpoint writes it, so what is written is its newest
 * state; a key that changes after it was read is taken again by the next checkpoint.
 */
export interface ChangedKeys {
  readonly length: number;
  /** Key `i`'s state now, no longer marked changed; undefined once the model is disposed. */
  read(i: number): SnapshotEntry | undefined;
  /** The keys from `from` on were not written after all (a failed transaction): they are marked changed again. */
  putBack(from: number): void;
}

/**
 * A running scenario: per-key state machines in plain Maps, timers on one TimerQueue.
 * Lifecycle: created by its `ModelDefinition` → onReading()* (timers fire in between) → dispose().
 *
 * A model emits a Detection when its verdict for a key changes, and for the first reading of a
 * key it has no state for (so a restarted engine can clear alerts restored from the store).
 */
export interface ScenarioModel {
  onReading(reading: EnrichedReading): void;
  /** Keys currently holding state. */
  readonly size: number;
  /** Every key's state as JSON. */
  snapshot(): SnapshotEntry[];
  /**
   * The keys changed since the last call, for an incremental checkpoint taken at `at` (engine
   * clock); the model starts a new list. Keys whose only change is their newest reading's time or
   * value (refreshed) come once per the model's refresh period, or when `everything` is asked for.
   * O(1) but for that merge: the cost of a checkpoint is paid when it reads the keys, off the
   * reading path.
   */
  takeChanged(at: number, everything: boolean): ChangedKeys;
  /**
   * Adopts checkpointed state before the first reading and re-arms its timers; entries whose device
   * the registry no longer knows are dropped. With `openLevel` (the level of the key's alert open in
   * the store, undefined when none is open) each key's verdict follows the durable alert rather than
   * the checkpoint, which may be older or newer than the last committed alert. Returns how many
   * keys were restored.
   */
  restore(entries: Iterable<SnapshotEntry>, context: (deviceId: string) => DeviceContext | undefined, openLevel?: (key: string) => Level | undefined): number;
  /**
   * Only models that report a device's silence (offline) have it: starts counting, from `since`,
   * for a device the registry lists that holds no state yet, so a device never heard from is
   * reported too. Returns whether it started counting.
   */
  watch?(ctx: DeviceContext, since: number): boolean;
  /** Cancels every timer; the model emits nothing afterwards. */
  dispose(): void;
}

export interface ModelDeps {
  scheduler: Scheduler;
  emit(detection: Detection): void;
}

/** A problem in a scenario file at a data path (`['levels', 'red']`); the loader adds file, line and column. */
export interface ScenarioProblem {
  path: (string | number)[];
  message: string;
  /** Point at the key (a field that does not belong) rather than at its value. */
  atKey?: boolean;
}

/**
 * A CEL expression in a scenario file and the variables it is evaluated with: `reading`
 * (`metrics`, `ts`, `device`, `subject`, `place`) or `readingWithValue` (the same and `value`, the
 * scenario's metric). The loader checks each against its scope, so a scenario that could never
 * fire is a load error.
 */
export interface ExpressionSite {
  path: (string | number)[];
  scope: 'reading' | 'readingWithValue';
}

/** A scenario file as YAML gives it, after the schema check. */
export type ScenarioDocument = Readonly<Record<string, unknown>>;

/** A fragment of JSON Schema (draft 2020-12). Fields may refer to the scenario schema's `#/$defs/duration` and `#/$defs/cel`. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * Everything the scenario loader and the engine need to know about one model kind (Kapacitor's
 * alert handlers, eKuiper's plugin registry): `models/model-kinds.ts` lists them, and the scenario
 * schema, the loader, normalisation and the docs iterate over that list. A new model kind is one
 * file exporting one of these, plus tests.
 */
export interface ModelDefinition<K extends ModelKind = ModelKind> {
  readonly kind: K;
  /** How it decides, one sentence, for the schema's `model` field: "offline: no message at all for a time". */
  readonly summary: string;
  /** Its own fields of the scenario file (JSON Schema per field, each with a description); other kinds reject them. */
  readonly fields: Readonly<Record<string, JsonSchema>>;
  /** Its own fields a file must have. */
  readonly required?: readonly string[];
  /** What `levels` maps each level to in this kind: the schema of one value and what it means. */
  readonly levels: { readonly description: string; readonly value: JsonSchema };
  /** Defaults of its optional fields, as a file would write them (announced in the schema, applied by `normalise`). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The CEL expressions of a file of this kind. */
  expressions(doc: ScenarioDocument): ExpressionSite[];
  /** What to tell a file of this kind that uses `value` where it is not bound, when the kind can bind it. */
  readonly valueHint?: string;
  /** Load-time checks the schema cannot state (levels that exist, durations that grow, ...). */
  check(doc: ScenarioDocument): ScenarioProblem[];
  /** Its own fields of the normalised scenario: durations in ms, defaults filled in, levels in ladder order. */
  normalise(doc: ScenarioDocument): ModelParameters[K];
  /**
   * The running model. Throws ERR_SCENARIO_INVALID where the scenario makes no sense; an
   * expression that fails on a reading counts as false and goes to `onExpressionError`.
   */
  create(scenario: ScenarioOf<K>, deps: ModelDeps, onExpressionError?: (err: Error) => void): ScenarioModel;
}
