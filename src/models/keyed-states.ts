import type { Scheduler } from '../contracts/clock.js';
import type { Detection, Evidence } from '../contracts/detection.js';
import type { Level, Verdict } from '../contracts/level.js';
import type { ChangedKeys, ScenarioModel, SnapshotEntry } from '../contracts/model.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';
import { isLevel } from '../core/levels.js';
import { TimerQueue, type TimerEntry } from '../core/timer-queue.js';

/** One key's state in a model: its alert key, and its place in the model's timer queue. */
export interface KeyedState extends TimerEntry {
  readonly key: string;
  /**
   * Which lists of keys waiting for a checkpoint hold it (`LISTED_CHANGED`, `LISTED_REFRESHED`;
   * 0: none). Set through `KeyedStates.touch` and `refresh`; a model creates its states with
   * `listed: 0`, so they share one shape (one small integer, not two booleans: a million keys).
   */
  listed: number;
}

/** In the list of changed keys: the next checkpoint writes it. */
const LISTED_CHANGED = 1;
/** In the list of refreshed keys: the next checkpoint that takes refreshed keys writes it. */
const LISTED_REFRESHED = 2;

/**
 * How stale a restored key may be in what a refresh changes (its newest reading's time and value):
 * a hundredth of the model's shortest window (36 s for a 1 h window), at most 5 minutes. What that
 * costs after a crash is bounded the same way: an offline or inactivity window counted from a last
 * reading up to that much older ends that much early (the safe side), by ≤ 1 %.
 */
export function refreshTolerance(shortestWindowMs: number): number {
  return Math.min(5 * 60_000, Math.max(0, shortestWindowMs / 100));
}

/**
 * How a model writes one key's state to JSON (a checkpoint) and reads it back. The JSON carries the
 * key's verdict as `verdict` ('ok', a level, or null while undecided): a restore settles it against
 * the alerts open in the store before `fromJson` reads it.
 */
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
 * keys' timers, the list of keys changed since the last checkpoint, and the snapshot / restore /
 * dispose that carry a model across a restart or a crash.
 * A model kind writes only what is its own: what a reading does to a key (and `touch` when it
 * changes one), what a due timer does, and its state's JSON.
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
  /** Keys changed since the last `takeChanged`, each once (`LISTED_CHANGED` says it is here). */
  private changedKeys: S[] = [];
  /** Keys only refreshed since refreshed keys were last taken, each once (`LISTED_REFRESHED`). */
  private refreshedKeys: S[] = [];
  /** When refreshed keys were last taken (engine clock). */
  private refreshedTakenAt = -Infinity;
  readonly timers: TimerQueue<S>;
  private disposed = false;

  /**
   * `onDispose` releases what the model keeps beside its keys (e.g. typed arrays of recent values).
   * `refreshEveryMs`: how often refreshed keys go with a checkpoint (`refreshTolerance`); 0: with every one.
   */
  constructor(
    scheduler: Scheduler,
    onDue: (state: S, now: number) => void,
    private readonly codec: StateCodec<S>,
    private readonly onDispose?: () => void,
    private readonly refreshEveryMs = 0,
  ) {
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

  /**
   * Marks `state` as changed since the last checkpoint: something a restore decides by (a verdict,
   * a duration's start, a latched level, the first reading). On the path of every reading, so it is
   * a flag test and, once per checkpoint interval, an array push: no serialisation, no hashing.
   */
  touch(state: S): void {
    if ((state.listed & LISTED_CHANGED) !== 0) return;
    state.listed |= LISTED_CHANGED;
    this.changedKeys.push(state);
  }

  /**
   * Marks `state` as refreshed: only its newest reading moved on (a time, a value within the same
   * levels), nothing a restore decides by. Refreshed keys go with a checkpoint once per
   * `refreshEveryMs`, not with every one: a fleet that reports every few seconds would otherwise
   * have every key rewritten every checkpoint, a second of serialising and writing per interval on
   * the thread that reads telemetry (bench/latency.ts: 4 keys per reading, p99 at 5 000 msg/s 12 ms
   * against 5 ms without checkpoints).
   */
  refresh(state: S): void {
    if (state.listed !== 0) return; // already waiting to be written, with its newest state
    state.listed = LISTED_REFRESHED;
    this.refreshedKeys.push(state);
  }

  /**
   * The keys changed since the last call, for a checkpoint to read (see `ChangedKeys`); with them
   * the refreshed keys when `refreshEveryMs` has passed since they were last taken at `at`, or when
   * `everything` is asked for (a graceful stop, `checkpointNow`).
   */
  takeChanged(at: number, everything: boolean): ChangedKeys {
    const changed = this.changedKeys;
    this.changedKeys = [];
    let taken = changed;
    if (everything || at - this.refreshedTakenAt >= this.refreshEveryMs) {
      this.refreshedTakenAt = at;
      if (this.refreshedKeys.length > 0) taken = changed.concat(this.refreshedKeys);
      this.refreshedKeys = [];
    }
    const changedCount = changed.length;
    const bitOf = (i: number): number => (i < changedCount ? LISTED_CHANGED : LISTED_REFRESHED);
    const keyed = this;
    return {
      length: taken.length,
      read(i) {
        if (keyed.disposed) return undefined;
        const state = taken[i]!;
        // Written already this pass through its other list (or since, by an earlier pass).
        if ((state.listed & bitOf(i)) === 0) return undefined;
        // Cleared before reading: a change from here on lists the key again for the next checkpoint.
        state.listed = 0;
        return { key: state.key, state: keyed.codec.toJson(state) };
      },
      putBack(from) {
        if (keyed.disposed) return;
        for (let i = from; i < taken.length; i++) {
          // Keys read by the failed transaction lost their flag, unread ones carry a flag for a
          // list that is gone: all go with the next checkpoint (a key listed twice is written twice).
          const state = taken[i]!;
          state.listed &= ~bitOf(i);
          keyed.touch(state);
        }
      },
    };
  }

  private number(no: number, state: S): void {
    const slots = this.byNumber;
    // Grown slot by slot, never by a far write: an array written far past its end turns into a slow dictionary.
    while (slots.length <= no) slots.push(undefined);
    slots[no] = state;
  }

  /**
   * The running model around `onReading`: size, snapshot, checkpoint, restore and dispose come from
   * here. `onReading` is called only while the model is not disposed; so is `watch`, for a model
   * that reports silence (see `ScenarioModel.watch`).
   */
  model(onReading: (reading: EnrichedReading) => void, watch?: (ctx: DeviceContext, since: number) => boolean): ScenarioModel {
    const keyed = this;
    const model: ScenarioModel = {
      onReading(reading) {
        if (!keyed.disposed) onReading(reading);
      },
      get size() {
        return keyed.map.size;
      },
      snapshot: () => keyed.snapshot(),
      takeChanged: (at, everything) => keyed.takeChanged(at, everything),
      restore: (entries, context, openLevel) => keyed.restore(entries, context, openLevel),
      dispose: () => keyed.dispose(),
    };
    if (watch) model.watch = (ctx, since) => !keyed.disposed && watch(ctx, since);
    return model;
  }

  /** Every key's state as JSON. */
  snapshot(): SnapshotEntry[] {
    const entries: SnapshotEntry[] = [];
    for (const state of this.map.values()) entries.push({ key: state.key, state: this.codec.toJson(state) });
    return entries;
  }

  /**
   * Adopts checkpointed state before the first reading and re-arms its timers. A key that already
   * holds state keeps it; entries the codec cannot read back are dropped. With `openLevel`, each
   * key's verdict is first settled against its alert open in the store (`settledVerdict`). Restored
   * keys are not marked changed: the store has them. Returns how many were restored.
   */
  restore(entries: Iterable<SnapshotEntry>, context: (deviceId: string) => DeviceContext | undefined, openLevel?: (key: string) => Level | undefined): number {
    let restored = 0;
    for (const { key, state: stored } of entries) {
      if (this.disposed || this.map.has(key)) continue;
      const json = openLevel ? { ...stored, verdict: settledVerdict(stored.verdict, openLevel(key)) } : stored;
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
    this.changedKeys = [];
    this.onDispose?.();
  }
}

/**
 * A restored key's verdict: the level of its alert open in the store, else 'ok' for a checkpoint
 * that says a level (null, undecided, stays). The alert commit and the checkpoint are separate
 * writes, so after a crash either may be the newer: the durable alert decides, so that a level the
 * checkpoint holds but the store never got is raised again (its timer or next reading re-raises
 * it), and an alert whose clear was lost is cleared by the key's next reading.
 */
export function settledVerdict(stored: unknown, open: Level | undefined): unknown {
  if (open !== undefined) return open;
  return isLevel(stored) ? 'ok' : stored;
}

/** What a model says about one key, as the detection it emits. */
export function detection(
  scenarioId: string, key: string, verdict: Verdict, eventTime: number, detectedAt: number, summary: string, evidence: Evidence, ctx: DeviceContext,
): Detection {
  return { scenarioId, key, verdict, eventTime, detectedAt, summary, evidence, ctx };
}
