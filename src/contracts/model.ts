import type { Scheduler } from './clock.js';
import type { Detection } from './detection.js';
import type { EnrichedReading } from './registry.js';

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
  /** Cancels every timer; the model emits nothing afterwards. */
  dispose(): void;
}

export interface ModelDeps {
  scheduler: Scheduler;
  emit(detection: Detection): void;
}
