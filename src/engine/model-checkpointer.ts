import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';
import type { ChangedKeys, ScenarioModel } from '../contracts/model.js';
import type { Store } from '../store/store.js';

/**
 * How much one slice of a checkpoint may do before it hands the event loop back. What is left is
 * written in the next slice, one `setImmediate` later, so readings, timers and group commits run in
 * between: a checkpoint of a million keys is a few seconds of short slices, never one long block.
 */
export interface CheckpointBudget {
  /** Keys one slice reads and writes at most. */
  maxKeys: number;
  /**
   * Milliseconds on the `now()` clock one slice may spend. On a virtual clock time stands still
   * while it writes, so only `maxKeys` applies there.
   */
  maxMs: number;
}

/**
 * 2 000 keys or 1 ms per slice. A key costs ~7 µs to serialise and write (bench/checkpoint.ts:
 * ~150 000 keys/s), so a slice on the real clock ends on time, after two or three transactions. A
 * reading that arrives during a slice waits for it: with 3 ms slices the publish → order p99 at
 * 5 000 msg/s was 12–14 ms against 5 ms without checkpoints, with 1 ms slices 6.5 ms
 * (bench/latency.ts `--checkpoint-interval`). What a slice cannot bound — a young-generation GC
 * (4–11 ms with a million keys in the heap) or a slow commit — lands inside it; a checkpoint's
 * longest block stays under the 20 ms it may take (measured at 1 000 000 keys: 11 ms).
 */
export const DEFAULT_CHECKPOINT_BUDGET: Readonly<CheckpointBudget> = { maxKeys: 2_000, maxMs: 1 };

/**
 * Keys per transaction: a slice commits every 64 keys (~15 KB of log) rather than once. The store's
 * WAL checkpointer copies the log into the database on a worker thread every 32 commits
 * (store/wal-checkpointer.ts); with one commit per 2 000-key slice the log grew ~10 MB between its
 * checkpoints and reached the writer's own 16 MB fallback, whose inline checkpoint and fsync held
 * the event loop for 30–60 ms inside a slice's commit. Measured on a million keys (a file store,
 * this machine): longest slice 50–60 ms with one commit per slice, 13–38 ms with 100 or 250 keys
 * per commit, 9–11 ms with 50; the whole checkpoint took 4.5 s in every case.
 */
const KEYS_PER_TRANSACTION = 64;

/** At a graceful stop nothing waits behind the writes: no time budget. */
const STOP_KEYS_PER_SLICE = 10_000;

/** A scenario's running model, as the checkpointer sees it. */
export interface CheckpointedModel {
  readonly scenarioId: string;
  readonly model: Pick<ScenarioModel, 'takeChanged'>;
}

export interface ModelCheckpointerOptions {
  models: readonly CheckpointedModel[];
  store: Pick<Store, 'modelStates' | 'transaction'>;
  scheduler: Scheduler;
  /** From the start of one checkpoint to the start of the next; 0: only `checkpointNow()` and `stop()` write. */
  intervalMs: number;
  budget?: Partial<CheckpointBudget>;
  /** The clock slices are timed on (default the scheduler's); a benchmark may pass a finer one. */
  now?(): number;
  /** Runs `next` in a later turn of the event loop, after its I/O (default `setImmediate`): a yield, not a delay. */
  yieldTo?(next: () => void): void;
  /** A checkpoint write failed: its keys are marked changed again and go with the next checkpoint. */
  onError(err: Error): void;
}

/** What the checkpoints have done, for health reports and the benchmark. */
export interface CheckpointStats {
  /** Checkpoints finished. */
  passes: number;
  /** Keys written in all, by checkpoints and at stop. */
  keys: number;
  /** The last finished checkpoint: keys written, slices, time from first to last slice, the longest slice (ms on `now()`). */
  last?: { at: number; keys: number; slices: number; ms: number; longestSliceMs: number };
}

/** One checkpoint in progress: the changed keys it took from each model, and how far it got. */
interface Pass {
  /** When its keys were taken, on the engine clock: each row's `taken_at`. */
  at: number;
  /** The same instant on `now()`. */
  startedAt: number;
  work: Array<{ scenarioId: string; changed: ChangedKeys; next: number }>;
  /** Index into `work` of the model being written. */
  item: number;
  keys: number;
  slices: number;
  longestSliceMs: number;
  ended: Promise<void>;
  end(): void;
}

/**
 * Incremental checkpoints of model state (Flink's asynchronous snapshots, Kafka Streams' changelog;
 * STYLE.md 18): every `intervalMs` each model hands over the keys that changed since the last
 * checkpoint (an O(1) swap of its dirty list), and the checkpoint writes them — each key's newest
 * state, serialised only now — in slices of one `CheckpointBudget`, one SQLite transaction each,
 * yielding to the event loop in between. The reading path only marks keys dirty.
 *
 * What a crash loses: changes made after the last checkpoint took its keys, i.e. at most one
 * interval plus the time that checkpoint takes to write (milliseconds for the keys a few seconds
 * of traffic change; seconds when a million keys changed at once). Checkpoints start on a fixed
 * cadence and never overlap: one that takes longer than the interval is followed at once by the next.
 *
 * Lifecycle: new → start() → (checkpoints; checkpointNow()*) → stop(), which writes whatever is
 * still changed, synchronously.
 */
export class ModelCheckpointer {
  readonly stats: CheckpointStats = { passes: 0, keys: 0 };
  private readonly budget: CheckpointBudget;
  private readonly now: () => number;
  private readonly yieldTo: (next: () => void) => void;
  private timer: Subscription | undefined;
  private running: Pass | undefined;
  private stopped = false;

  constructor(private readonly options: ModelCheckpointerOptions) {
    this.budget = { ...DEFAULT_CHECKPOINT_BUDGET, ...options.budget };
    if (!(this.budget.maxKeys >= 1)) throw new RangeError('CheckpointBudget.maxKeys must be at least 1');
    this.now = options.now ?? (() => options.scheduler.now());
    this.yieldTo = options.yieldTo ?? ((next) => setImmediate(next));
  }

  /** Schedules the first checkpoint one interval from now. */
  start(): void {
    this.scheduleAfter(this.options.scheduler.now());
  }

  /** A checkpoint is being written. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Writes every change made before the call: waits for the checkpoint in progress, then runs one
   * at once (the next scheduled one counts its interval from this one). Resolves with the keys it
   * wrote.
   */
  async checkpointNow(): Promise<number> {
    if (this.running) await this.running.ended;
    if (this.stopped) return 0;
    if (this.running) return this.checkpointNow(); // another caller started one meanwhile: it may predate our changes
    this.timer?.unsubscribe();
    this.timer = undefined;
    const pass = this.begin(true);
    await pass.ended;
    return pass.keys;
  }

  /**
   * Stops checkpointing and writes, synchronously, everything still changed: the rest of the
   * checkpoint in progress and every key changed since. For a graceful stop, before the models are
   * disposed. Returns the keys it wrote.
   */
  stop(): number {
    if (this.stopped) return 0;
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    const before = this.stats.keys;
    const inProgress = this.running;
    if (inProgress) {
      while (!this.write(inProgress, STOP_KEYS_PER_SLICE, Infinity));
      this.finish(inProgress);
    }
    const last = this.take(true);
    while (!this.write(last, STOP_KEYS_PER_SLICE, Infinity));
    this.finish(last);
    return this.stats.keys - before;
  }

  private scheduleAfter(lastStart: number): void {
    if (this.stopped || !(this.options.intervalMs > 0)) return;
    const { scheduler, intervalMs } = this.options;
    // A fixed cadence: what a crash loses stays one interval plus one checkpoint's writing time.
    const delay = Math.max(0, lastStart + intervalMs - scheduler.now());
    this.timer = scheduler.schedule(() => {
      this.timer = undefined;
      if (!this.stopped && !this.running) this.begin(false);
    }, delay);
  }

  /** `everything`: refreshed keys too, whenever they were last taken (see `ScenarioModel.takeChanged`). */
  private begin(everything: boolean): Pass {
    const pass = this.take(everything);
    this.running = pass;
    this.slice(pass);
    return pass;
  }

  /** A new checkpoint: the changed keys of every model, taken now. */
  private take(everything: boolean): Pass {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const at = this.options.scheduler.now();
    return {
      at,
      startedAt: this.now(),
      work: this.options.models.map(({ scenarioId, model }) => ({ scenarioId, changed: model.takeChanged(at, everything), next: 0 })),
      item: 0, keys: 0, slices: 0, longestSliceMs: 0, ended, end,
    };
  }

  private slice(pass: Pass): void {
    if (this.stopped || this.running !== pass) return;
    const started = this.now();
    const done = this.write(pass, this.budget.maxKeys, started + this.budget.maxMs);
    const took = this.now() - started;
    pass.slices++;
    if (took > pass.longestSliceMs) pass.longestSliceMs = took;
    if (done) this.finish(pass);
    else this.yieldTo(() => this.slice(pass));
  }

  /**
   * Writes the next keys of `pass`, up to `maxKeys` or until `deadline` on `now()`, in
   * transactions of KEYS_PER_TRANSACTION. Returns true when the pass has nothing left to write.
   */
  private write(pass: Pass, maxKeys: number, deadline: number): boolean {
    let left = maxKeys;
    for (;;) {
      const read = this.transaction(pass, Math.min(left, KEYS_PER_TRANSACTION));
      if (read < 0 || pass.item >= pass.work.length) return true;
      left -= read;
      if (left <= 0 || this.now() >= deadline) return false;
    }
  }

  /**
   * Writes the next `maxKeys` keys of `pass` in one transaction; returns the keys read, or -1 when
   * the transaction failed. A failed transaction is rolled back: its keys
   * and those the pass had not reached are marked changed again, for the next pass, which ends.
   */
  private transaction(pass: Pass, maxKeys: number): number {
    const { store, onError } = this.options;
    const checkpoints = store.modelStates;
    const fromItem = pass.item;
    const fromNext = pass.work[fromItem]?.next ?? 0;
    let written = 0;
    let read = 0;
    try {
      store.transaction(() => {
        while (pass.item < pass.work.length) {
          const work = pass.work[pass.item]!;
          const { changed, scenarioId } = work;
          while (work.next < changed.length) {
            const entry = changed.read(work.next++);
            if (entry !== undefined) {
              checkpoints.put(scenarioId, entry.key, entry.state, pass.at);
              written++;
            }
            if (++read >= maxKeys) return;
          }
          pass.item++;
        }
      });
    } catch (err) {
      for (let i = fromItem; i < pass.work.length; i++) pass.work[i]!.changed.putBack(i === fromItem ? fromNext : 0);
      pass.item = pass.work.length;
      onError(err as Error);
      return -1;
    }
    pass.keys += written;
    this.stats.keys += written;
    return read;
  }

  private finish(pass: Pass): void {
    if (this.running === pass) this.running = undefined;
    this.stats.passes++;
    this.stats.last = { at: pass.at, keys: pass.keys, slices: pass.slices, ms: this.now() - pass.startedAt, longestSliceMs: pass.longestSliceMs };
    pass.end();
    this.scheduleAfter(pass.at);
  }
}
