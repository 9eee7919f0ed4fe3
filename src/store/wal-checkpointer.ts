import { Worker } from 'node:worker_threads';
import type { Database } from './database.js';

export interface WalCheckpointerOptions {
  /**
   * Start the worker once this many write transactions committed: a store that commits little
   * (a test, a CLI command) never starts a thread.
   */
  startAfterCommits?: number;
  /** From then on, every this many commits ask for a checkpoint (unless one is running). Default 32. */
  everyCommits?: number;
  /**
   * The writer's own automatic checkpoint, in log pages, while the worker does the copying: a
   * safety net for a writer that never pauses (see below).
   */
  fallbackPages?: number;
}

/** Slots of the shared Int32Array, written by the worker. */
const CLOSED = 0;
const RUNNING = 1;
const COMPLETED = 2;

/** SQLite's default `wal_autocheckpoint`: what the writer goes back to when the worker fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

/**
 * Checkpoints the WAL on a worker thread, off the writer's event loop.
 *
 * In WAL mode a commit appends pages to the log; a checkpoint copies them into the database file
 * and syncs it. SQLite runs it inside the commit that crosses `wal_autocheckpoint` (1 000 pages),
 * so the engine's event loop paid it: measured here, committing 300 offline alerts cost 62 µs per
 * alert with the writer checkpointing, 33 µs without (bench/results/timers.md). A second
 * connection on a worker thread does the checkpoints on the other core while the writer goes on.
 *
 * The log starts over (and stops growing) only when a checkpoint has caught up with it completely
 * before the writer's next transaction; a writer that never pauses may never let the worker do so.
 * So the writer's automatic checkpoint stays on, at `fallbackPages` (16 MB): past it, the writer
 * checkpoints after its commit as SQLite always does, but finds all but the last few pages copied
 * already, catches up, and the log restarts. The worker signals through shared memory, so it keeps
 * copying while the writer runs a long synchronous stretch (a stop, a replay's flush) that no
 * message could interrupt. Durability is unchanged: a checkpoint only moves pages that are already
 * committed in the log.
 *
 * Lifecycle: created with the store → `committed()` after each write transaction (the worker
 * starts after `startAfterCommits` of them) → `close()`
 * before the writer's connection closes (waits until the worker's connection is closed, so the
 * writer's close is the last and removes the WAL).
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  /** [closed, running, completed]: the worker's side sets them (wal-checkpoint-worker.ts). */
  private readonly shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  private commits = 0;
  private broken = false;
  private readonly startAfterCommits: number;
  private readonly everyCommits: number;
  private readonly fallbackPages: number;
  private waiters: Array<() => void> = [];
  private exited: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Database, options: WalCheckpointerOptions = {}) {
    this.startAfterCommits = options.startAfterCommits ?? 64;
    this.everyCommits = options.everyCommits ?? 32;
    this.fallbackPages = options.fallbackPages ?? 4_000;
  }

  /** Checkpoints the worker completed (for tests and diagnostics). */
  get completed(): number {
    return Atomics.load(this.shared, COMPLETED);
  }

  /** A write transaction committed on the writer's connection. */
  committed(): void {
    if (this.broken || this.running) return;
    // Not after every commit: a checkpoint per order kept the other core busy and cost the writer a
    // message per commit. Every `everyCommits` (~25 pages each) is about SQLite's own cadence.
    if (++this.commits < (this.worker ? this.everyCommits : this.startAfterCommits)) return;
    this.commits = 0;
    Atomics.store(this.shared, RUNNING, 1);
    this.ensureWorker().postMessage('checkpoint');
  }

  /** Resolves once no checkpoint is running (at once when none is). */
  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private get running(): boolean {
    return Atomics.load(this.shared, RUNNING) === 1;
  }

  /** Stops the worker; its connection is closed when this returns (or after 5 s at most). */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    worker.postMessage('close');
    // Synchronous on purpose: Store.close() is, and the writer must close after the worker.
    Atomics.wait(this.shared, CLOSED, 0, 5_000);
    this.exited = worker.terminate();
    this.settle();
  }

  /** Resolves when the worker thread, if one ran, has exited and its resources are released. */
  async whenExited(): Promise<void> {
    await this.exited.catch(() => undefined);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const fromSource = import.meta.url.endsWith('.ts');
    const script = new URL(fromSource ? './wal-checkpoint-worker.ts' : './wal-checkpoint-worker.js', import.meta.url);
    const workerData = { file: this.db.name, shared: this.shared };
    // Under tests the sources run through tsx: the worker registers the same loader first (a worker
    // does not take `--import` from execArgv on Node 20), as sinks/worker-http-post.ts does.
    const worker = fromSource
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true, workerData })
      : new Worker(script, { workerData });
    worker.unref(); // never keeps the process alive by itself
    worker.on('message', () => {
      if (!this.running) this.settle();
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => {
      if (this.worker === worker) this.fail();
    });
    this.db.pragma(`wal_autocheckpoint = ${this.fallbackPages}`);
    this.worker = worker;
    return worker;
  }

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The worker is gone: the writer checkpoints by itself again, as SQLite does by default. */
  private fail(): void {
    this.broken = true;
    this.worker = undefined;
    Atomics.store(this.shared, RUNNING, 0);
    this.settle();
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  }
}
