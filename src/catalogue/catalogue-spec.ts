/**
 * The device catalogue once loaded and checked: what the engine, the simulators and the benchmarks
 * read. Everything here is frozen; durations are milliseconds, ranges are [low, high].
 */

/** Text in Chinese and English, as timelines and alerts show it. */
export interface LocalizedText {
  readonly zh: string;
  readonly en: string;
}

/** One metric, declared once and reported by any number of types. */
export interface MetricSpec {
  readonly name: string;
  readonly type: 'number' | 'boolean';
  readonly unit?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly description: string;
  readonly label: LocalizedText;
  /** Booleans: the words for true and false. */
  readonly states?: { readonly true: LocalizedText; readonly false: LocalizedText };
  /** About the device itself (battery, radio), not what it measures. */
  readonly diagnostic: boolean;
}

/** What shows that someone is at home and well: `metric` above a number, or equal to a boolean. */
export interface ActivitySpec {
  readonly metric: string;
  readonly above?: number;
  readonly is?: boolean;
  /** What alerts call it: 用水 / water use. */
  readonly noun: LocalizedText;
}

/**
 * How a simulator makes one metric's value. Ranges are drawn once per device (`base`, `start`);
 * every value is rounded to `decimals` and kept within the metric's minimum and maximum.
 */
export type ValueGenerator =
  | { readonly kind: 'constant'; readonly value: number | boolean }
  | { readonly kind: 'between'; readonly low: number; readonly high: number; readonly decimals: number }
  | { readonly kind: 'around'; readonly base: readonly [number, number]; readonly spread: number; readonly decimals: number }
  | { readonly kind: 'chance'; readonly p: number }
  | { readonly kind: 'drift'; readonly start: readonly [number, number]; readonly perDay: number; readonly decimals: number }
  | {
      readonly kind: 'integral';
      readonly start: readonly [number, number];
      /** The metric whose value is added up, per `perMs` of elapsed time, times `factor`. */
      readonly of: string;
      readonly perMs: number;
      readonly factor: number;
      readonly decimals: number;
    };

/** Metric name → generator, in the order the catalogue lists them (the order readings carry them). */
export type ReadingGenerators = ReadonlyArray<readonly [metric: string, generator: ValueGenerator]>;

export interface SimulationSpec {
  readonly normal: ReadingGenerators;
  readonly active?: {
    /** Share of readings, inside `hours` (local time, fractional hours; from > to wraps midnight), that show the activity. */
    readonly chance: number;
    readonly hours?: { readonly from: number; readonly to: number };
    readonly set: ReadingGenerators;
  };
  readonly alarm?: { readonly set: ReadingGenerators; readonly reportEveryMs: number };
}

/** One device type. */
export interface DeviceTypeSpec {
  readonly name: string;
  readonly label: LocalizedText;
  readonly description?: string;
  /** The metrics the type may report, in the catalogue's order. */
  readonly metrics: readonly string[];
  /** The usual reporting (heartbeat) interval as written (`15m`) and in milliseconds. */
  readonly reportEvery: string;
  readonly reportEveryMs: number;
  /** Uploads NB-IoT batches when batching is on. */
  readonly batches: boolean;
  /** Reports at once when something happens (detectors). */
  readonly reportsOnEvent: boolean;
  readonly activity?: ActivitySpec;
  readonly simulation: SimulationSpec;
}

/** The whole catalogue, as loaded from one file. */
export interface DeviceCatalogue {
  /** The file it was loaded from, as errors name it. */
  readonly file: string;
  /** Device type names in the catalogue's order. */
  readonly typeNames: readonly string[];
  readonly types: ReadonlyMap<string, DeviceTypeSpec>;
  readonly metrics: ReadonlyMap<string, MetricSpec>;
}
