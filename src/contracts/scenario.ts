import type { Level } from './level.js';
import type { DeviceType } from './registry.js';

/** Daily window in the place's local time, e.g. 06:00–22:00. `to` may be before `from` (overnight). */
export interface ActiveHours {
  from: string;
  to: string;
}

/**
 * Each model kind's own scenario fields, by kind. Empty here on purpose: every model file adds its
 * entry by declaration merging —
 *
 *   declare module '../contracts/scenario.js' { interface ModelParameters { offline: OfflineParameters } }
 *
 * — so a new model kind is one file (models/*.ts) and its line in `MODEL_KINDS`, and no contract
 * has to name it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ModelParameters {}

/** The model kinds the engine knows: `threshold`, `inactivity`, `offline`, ... */
export type ModelKind = keyof ModelParameters & string;

/**
 * What every scenario has, whatever its model (normalised from its YAML file: durations are
 * milliseconds, defaults filled in). A scenario is plain data: it can be validated, printed and
 * diffed without running; `scenarios/compile.ts` turns it into a running model.
 */
export interface ScenarioBase {
  id: string;
  name: string;
  description?: string;
  /** Grouping used by dispatch policy and statistics: water, gas, fire, elderly_care, device, ... */
  category: string;
  appliesTo: {
    deviceTypes: DeviceType[];
    /** CEL over `subject`, `device`, `place`; the scenario ignores devices for which it is false. */
    when?: string;
  };
  /** Alert key: one alert per device, or one per subject (household) across its devices. */
  keyBy: 'device' | 'subject';
  alert: {
    /** After an alert clears, a new detection at or below its peak level within this time is suppressed. */
    cooldownMs: number;
    /** More than `maxChanges` level changes within `windowMs` marks the alert flapping: it stays open. */
    flapping: { maxChanges: number; windowMs: number };
  };
  /** Whether alerts of this scenario become dispatch orders. */
  dispatch: boolean;
  /** The file the scenario came from (for error messages and the API). */
  source?: string;
}

/** A scenario of one model kind: the common fields, the kind, and the kind's own fields. */
export type ScenarioOf<K extends ModelKind> = ScenarioBase & { model: K } & ModelParameters[K];

/** A scenario of any model kind (a union discriminated by `model`). */
export type Scenario = { [K in ModelKind]: ScenarioOf<K> }[ModelKind];

/** Per level, a value: a CEL condition, a duration in ms, ... */
export type LevelMap<T> = Partial<Record<Level, T>>;
