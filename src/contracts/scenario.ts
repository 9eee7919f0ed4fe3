import type { Level } from './level.js';
import type { DeviceType } from './registry.js';

export type ModelKind = 'threshold' | 'inactivity' | 'offline';

/** Daily window in the place's local time, e.g. 06:00–22:00. `to` may be before `from` (overnight). */
export interface ActiveHours {
  from: string;
  to: string;
}

/**
 * A scenario as plain data (normalised from its YAML file: durations are milliseconds, defaults
 * filled in). It can be validated, printed and diffed without running; `scenarios/compile.ts`
 * turns it into a running model.
 */
interface ScenarioBase {
  id: string;
  name: string;
  description?: string;
  /** Grouping used by dispatch policy and statistics: water, gas, fire, elderly_care, device, ... */
  category: string;
  model: ModelKind;
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

export interface ThresholdScenario extends ScenarioBase {
  model: 'threshold';
  /** Metric bound to `value` in expressions; expressions may also use `metrics.<name>`. */
  metric?: string;
  /** Raise conditions per level (CEL), checked highest level first. */
  levels: Partial<Record<Level, string>>;
  /** Per level: the condition must hold this long (event time) before the level is raised. */
  for: Partial<Record<Level, number>>;
  /** Per level: the level is left only when this holds (hysteresis); default: raise condition false. */
  reset: Partial<Record<Level, string>>;
  /**
   * A `for` duration counts only while readings keep confirming the condition at most this far
   * apart: a device that goes silent does not complete "water running for 2 h" on its last word.
   */
  maxGapMs: number;
}

export interface InactivityScenario extends ScenarioBase {
  model: 'inactivity';
  /** CEL: which readings count as activity (e.g. `metrics.flow_lpm > 0.1`). */
  active: string;
  /** Inactive time (counted inside active hours only) at which each level is reached. */
  levels: Partial<Record<Level, number>>;
  /** Only this daily window counts, in the place's time zone; absent: the whole day counts. */
  activeHours?: ActiveHours;
  /**
   * A gap between readings longer than this is silence (the device may be offline), not evidence
   * of inactivity: only `maxSilenceMs` of such a gap is counted.
   */
  maxSilenceMs: number;
}

export interface OfflineScenario extends ScenarioBase {
  model: 'offline';
  /** Silence (no message at all) after which each level is reached. */
  levels: Partial<Record<Level, number>>;
}

export type Scenario = ThresholdScenario | InactivityScenario | OfflineScenario;
