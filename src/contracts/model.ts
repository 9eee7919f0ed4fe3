import type { Scheduler } from './clock.js';
import type { Detection } from './detection.js';
import type { DeviceContext, EnrichedReading } from './registry.js';

/** One key's state in plain JSON, to carry a model across a graceful restart. */
export interface SnapshotEntry {
  key: string;
  state: Record<string, unknown>;
}

/**
 * A running scenario: per-key state machines in plain Maps, timers on one TimerQueue.
 * Lifecycle: created by `scenarios/compile.ts` → onReading()* (timers fire in between) → dispose().
 *
 * A model emits a Detection when its verdict for a key changes, and for the first reading of a
 * key it has no state for (so a restarted engine can clear alerts restored from the store).
 */
export interface ScenarioModel {
  onReading(reading: EnrichedReading): void;
  /** Keys currently holding state. */
  readonly size: number;
  /** Every key's state as JSON (taken at a graceful stop). */
  snapshot(): SnapshotEntry[];
  /**
   * Adopts a snapshot before the first reading and re-arms its timers; entries whose device the
   * registry no longer knows are dropped. Returns how many keys were restored.
   */
  restore(entries: readonly SnapshotEntry[], context: (deviceId: string) => DeviceContext | undefined): number;
  /** Cancels every timer; the model emits nothing afterwards. */
  dispose(): void;
}

export interface ModelDeps {
  scheduler: Scheduler;
  emit(detection: Detection): void;
}
