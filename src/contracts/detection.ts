import type { Verdict } from './level.js';
import type { Metrics } from './reading.js';
import type { DeviceContext } from './registry.js';

/** A reading kept as evidence for a decision. */
export interface EvidenceReading {
  deviceId: string;
  ts: number;
  metrics: Metrics;
}

/** The evidence behind a verdict: the readings that decided it plus derived facts. */
export interface Evidence {
  readings: EvidenceReading[];
  /** Derived figures, e.g. `{ inactiveMs: 28800000 }` or `{ silentMs: 7200000 }`. */
  facts: Record<string, number | string | boolean>;
}

/** What a scenario model says about one key at one moment. */
export interface Detection {
  scenarioId: string;
  /** Alert key within the scenario: a device id or a subject id (see `keyBy`). */
  key: string;
  verdict: Verdict;
  /** Event time the verdict refers to (reading time, or the instant a duration was reached). */
  eventTime: number;
  /** Engine-clock time the verdict was made. */
  detectedAt: number;
  /** One human-readable line, free of personal data: "no water use for 8h within 06:00–22:00". */
  summary: string;
  evidence: Evidence;
  ctx: DeviceContext;
}
