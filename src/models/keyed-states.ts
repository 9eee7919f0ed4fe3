import type { Scheduler } from '../contracts/clock.js';
import type { Detection, Evidence } from '../contracts/detection.js';
import type { Verdict } from '../contracts/level.js';
import type { ScenarioModel, SnapshotEntry } from '../contracts/model.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';

/** One key's state in a model: its alert key, and its place in the model's timer queue. */
export interface KeyedState extends TimerEntry {
  readonly key: string;
}

/** How a model writes one key's state to JSON (a snapshot) and reads it back. */
export interface StateCodec<S extends KeyedState> {
  toJson(state: S): Record<string, unknown>;
  /**
   * The state of `key` from its JSON, with readings rebuilt through `context` (the registry's
   * current view); undefined to drop the entry (its device is gone, or the JSON is not this
   * model's).
   */
  fromJson(key: string, json: Record<string, unknown>, context: (deviceId: string) => DeviceContext | undefined): S | undefined;
  /** Arms whatever timer a restored state needs (called once it is in the map). */
  rearm(state: S): void;
}

/**
 * The skeleton every model kind shares: per-key state in one plain `Map` (not an RxJS `groupBy`
 * subject per key: kilobytes each, and we plan for a million devices), one `TimerQueue` for all
 * keys' timers, and the snapshot / restore / dispose that carry a model across a restart.
 * A model kind writes only what is its own: what a reading does to a key, what a due timer does,
 * and its state's JSON.
 */
export class KeyedStates<S extends KeyedState> {
  /** Every key's state: the record (size, snapshot, restore). */
  readonly map = new Map<string, S>();
  /**
   * The same states by the dense number the registry gave their key (`DeviceContext.deviceNo`,
   * `subjectNo`): an array slot instead of hashing the key string, for every reading (replay
   * profile: the string lookup, a cache miss on the hash table and another on the key, was the
   * largest cost of a model). Filled as keys are met; a slot is trusted only when its state's key
   * is the key asked for, else the map answers.
   */
  private byNumber: (S | undefined)[] = [];
  readonly timers: TimerQueue<S>;
  private disposed = false;

  /** `onDispose` releases what the model keeps beside its keys (e.g. typed arrays of recent values). */
  constructor(scheduler: Scheduler, onDue: (state: S, now: number) => void, private readonly codec: StateCodec<S>, private readonly onDispose?: () => void) {
    this.timers = new TimerQueue<S>(scheduler, onDue);
  }

  /** After `dispose()` the model takes no reading and fires no timer. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The state of `key`, whose dense number is `no` when the reading's context has one; undefined when it has none yet. */
  get(key: string, no: number | undefined): S | undefined {
    if (no !== undefined) {
      const state = this.byNumber[no];
      if (state !== undefined && state.key === key) return state;
    }
    const state = this.map.get(key);
    if (state !== undefined && no !== undefined) this.number(no, state);
    return state;
  }

  /** Adds the state of a new key (number `no`, if any). */
  add(state: S, no: number | undefined): void {
    this.map.set(state.key, state);
    if (no !== undefined) this.number(no, state);
  }

  private number(no: number, state: S): void {
    const slots = this.byNumber;
    // Grown slot by slot, never by a far write: an array written far past its end turns into a slow dictionary.
    while (slots.length <= no) slots.push(undefined);
    slots[no] = state;
  }

  /**
   * The running model around `onReading`: size, snapshot, restore and dispose come from here.
   * `onReading` is called only while the model is not disposed.
   */
  model(onReading: (reading: EnrichedReading) => void): ScenarioModel {
    const keyed = this;
    return {
      onReading(reading) {
        if (!keyed.disposed) onReading(reading);
      },
      get size() {
        return keyed.map.size;
      },
      snapshot: () => keyed.snapshot(),
      restore: (entries, context) => keyed.restore(entries, context),
      dispose: () => keyed.dispose(),
    };
  }

  /** Every key's state as JSON (taken at a graceful stop). */
  snapshot(): SnapshotEntry[] {
    const entries: SnapshotEntry[] = [];
    for (const state of this.map.values()) entries.push({ key: state.key, state: this.codec.toJson(state) });
    return entries;
  }

  /**
   * Adopts a snapshot before the first reading and re-arms its timers. A key that already holds
   * state keeps it; entries the codec cannot read back are dropped. Returns how many were restored.
   */
  restore(entries: readonly SnapshotEntry[], context: (deviceId: string) => DeviceContext | undefined): number {
    let restored = 0;
    for (const { key, state: json } of entries) {
      if (this.disposed || this.map.has(key)) continue;
      const state = this.codec.fromJson(key, json, context);
      if (!state) continue;
      this.map.set(key, state);
      this.codec.rearm(state);
      restored++;
    }
    return restored;
  }

  /** Cancels every timer and forgets every key; the model emits nothing afterwards. */
  dispose(): void {
    this.disposed = true;
    this.timers.dispose();
    this.map.clear();
    this.byNumber = [];
    this.onDispose?.();
  }
}

/** What a model says about one key, as the detection it emits. */
export function detection(
  scenarioId: string, key: string, verdict: Verdict, eventTime: number, detectedAt: number, summary: string, evidence: Evidence, ctx: DeviceContext,
): Detection {
  return { scenarioId, key, verdict, eventTime, detectedAt, summary, evidence, ctx };
}
