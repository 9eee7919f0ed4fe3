import type { Subscription } from 'rxjs';
import type { Scheduler } from '../contracts/clock.js';
import { FifoQueue } from '../core/fifo-queue.js';

/** The part of the outbox repository the relay uses. */
export interface OutboxSource {
  pending(limit: number): Array<{ id: number; topic: string; payload: string; qos: 0 | 1; retain: boolean }>;
  markDeliveredMany(ids: readonly number[], at: number): number;
  markAttempt(id: number, at: number, error: string): void;
  pruneDelivered(olderThan: number): number;
}

export type OutboxPublisher = (topic: string, payload: string, qos: 0 | 1, retain: boolean) => Promise<void>;

export interface OutboxRelayOptions {
  outbox: OutboxSource;
  publish: OutboxPublisher;
  scheduler: Scheduler;
  onPublishFailed?(topic: string, err: Error): void;
  /** Entries read from the table at a time. Default 256. */
  batchSize?: number;
  /** Publishes the broker has not yet called back at most (see `DEFAULT_WINDOW`). */
  window?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Delivered entries are kept this long (for inspection), then deleted. Default 24 h. */
  retainDeliveredMs?: number;
}

/** An entry the relay can publish: what the outbox holds for the MQTT sink. */
export interface RelayEntry {
  id: number;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** Entries with the same key leave in commit order; absent: a key of its own. */
  key?: string;
  /** Goes ahead of routine entries of other keys (core/urgency.ts). */
  urgent?: boolean;
}

/**
 * Delivered marks wait this long (engine time) for a commit to ride along with before they get a
 * transaction of their own: under load each batch's marks join the next group commit, so an order
 * costs one WAL commit, not two.
 */
const MARK_DELAY_MS = 50;
/** Entries handed over while the relay is still reading the outbox table are kept up to this many. */
const MAX_HANDED_OVER = 10_000;

/** Pruning is cheap but not free: at most once per this interval of engine time. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Publishes in flight at most. A sliding window, not batches: each callback frees a slot at once,
 * so one slow callback (aedes calls back once a TCP subscriber's socket drained) holds up one slot,
 * not the next 256 messages (bench/burst.ts measured batches waiting 288 ms for their slowest
 * member). Kept well under aedes' emitter concurrency (embedded-broker.ts): every publish holds a
 * slot there until delivered, and telemetry must always find free ones.
 */
export const DEFAULT_WINDOW = 128;

/**
 * Slots beyond the window only urgent entries may take: a new alarm committed while routine
 * entries fill the window goes out at once instead of waiting for a callback to free a slot.
 */
const URGENT_RESERVE = 32;

const PENDING = 0;
const DELIVERED = 1;
const REFUSED = 2;

/** One publish, in the order it was sent. */
interface Flight {
  entry: RelayEntry;
  state: typeof PENDING | typeof DELIVERED | typeof REFUSED;
  error?: Error;
}

/**
 * Drains the transactional outbox into the broker: rows are committed together with the alert or
 * order they announce, and marked delivered only once the broker has taken them (QoS 1 PUBACK, or
 * aedes' in-process callback). A crash in between republishes on the next start — at-least-once,
 * with CloudEvent ids for consumers to drop the duplicate.
 *
 * Order: per key (an alert, an order) entries go out in commit order, so a consumer never sees an
 * order's version 3 before version 2. Across keys, urgent entries (a risk appeared or worsened) go
 * ahead of routine ones (clears, status steps), so a new gas leak is not announced after a
 * thousand clears committed just before it. When the broker refuses one, the relay waits
 * (exponential backoff on the engine clock) instead of skipping ahead.
 *
 * Two modes. Reading the table (at start, after a kick or a refusal): pending rows in id order,
 * which is commit order. Caught up (a read came back short): what the group commit hands over is
 * published from memory — the table query was ~0.3 ms on every order's path.
 */
export class OutboxRelay {
  /**
   * Caught up: every pending entry in the table is also in memory (queued or in flight), so
   * entries are published from memory. False at start (a previous run may have left entries) and
   * after a kick or a refusal, until a read of the table comes back short.
   */
  private caughtUp = false;
  /** A kick came: the table may hold entries that were never handed over. */
  private tableChanged = false;
  /** The table is being read. */
  private reading = false;
  /** Committed while the table is read, in commit order; queued once caught up. */
  private handedOver: RelayEntry[] = [];
  private readonly urgent = new FifoQueue<RelayEntry>();
  private readonly routine = new FifoQueue<RelayEntry>();
  /** Routine entries queued per key: an urgent entry of such a key waits behind them. */
  private readonly routineByKey = new Map<string, number>();
  /** The highest id read from the table or taken from memory so far. */
  private lastTaken = 0;
  /** Sent and not yet settled, or settled behind one that is not: in send order. */
  private flights: Flight[] = [];
  private flightsHead = 0;
  private inFlight = 0;
  /** A publish was refused: nothing more is sent until every flight has settled. */
  private halted = false;
  /** The first refusal in send order: what the retry reports. */
  private refusal: { topic: string; err: Error } | undefined;
  /** Published, not yet marked delivered in the table. */
  private unmarked: number[] = [];
  private markTimer: Subscription | undefined;
  private retry: Subscription | undefined;
  private failures = 0;
  private stopped = false;
  /** The table reader waits here for flights to settle. */
  private settleWaiter: { ready: () => boolean; resolve: () => void } | undefined;
  private idleWaiters: Array<() => void> = [];
  private lastPruneAt = -Infinity;
  private readonly window: number;
  delivered = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.window = Math.max(1, options.window ?? DEFAULT_WINDOW);
  }

  /** Something was committed: deliver it now (or as soon as the current pass ends). */
  kick(): void {
    // Entries may have reached the table some other way than `committed`: read it. What is queued
    // and not yet sent is pending in the table and will be read with the rest.
    this.caughtUp = false;
    this.tableChanged = true;
    this.clearQueues();
    this.pump();
  }

  /**
   * Entries just committed for the MQTT sink, in commit order (the group commit hands them over
   * after its transaction). Entries the relay is going to read from the table anyway are dropped
   * later by id.
   */
  committed(entries: readonly RelayEntry[]): void {
    if (this.stopped) return;
    if (this.caughtUp) {
      for (const entry of entries) this.enqueue(entry);
    } else {
      if (this.handedOver.length + entries.length > MAX_HANDED_OVER) {
        // Too many to hold while the table is read: they are in the table, read it once more.
        this.handedOver = [];
        this.tableChanged = true;
      }
      for (const entry of entries) this.handedOver.push(entry);
    }
    this.pump();
  }

  /**
   * Writes the delivered marks waiting in memory and returns their ids. The group commit calls it
   * inside its transaction (the marks ride along; `marksRolledBack` if that transaction fails); the
   * mark timer, `whenIdle` and stop call it otherwise. A crash before it only republishes those
   * entries — at-least-once, as ever.
   */
  writeMarks(): readonly number[] {
    this.markTimer?.unsubscribe();
    this.markTimer = undefined;
    if (this.unmarked.length === 0) return [];
    const ids = this.unmarked;
    this.unmarked = [];
    this.options.outbox.markDeliveredMany(ids, this.options.scheduler.now());
    return ids;
  }

  /**
   * The transaction that carried these marks (see `writeMarks`) rolled back: they are not written.
   * Kept again for the next write, or the rows would stay pending and go out a second time — after
   * newer versions of the same order, at the next read of the table.
   */
  marksRolledBack(ids: readonly number[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.unmarked.push(id);
    this.scheduleMarks();
  }

  /** Resolves when the relay has nothing in flight and every delivered entry is marked so. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(() => {
        this.writeMarks();
        resolve();
      });
      this.checkIdle();
    });
  }

  stop(): void {
    this.stopped = true;
    this.retry?.unsubscribe();
    this.retry = undefined;
    this.markTimer?.unsubscribe();
    this.markTimer = undefined;
    this.clearQueues();
    this.checkIdle();
  }

  /** Sends what the window allows, or starts reading the table. */
  private pump(): void {
    if (this.stopped || this.retry || this.halted) {
      this.checkIdle();
      return;
    }
    if (!this.caughtUp) {
      if (!this.reading) void this.readTable();
      return;
    }
    for (;;) {
      let entry: RelayEntry | undefined;
      if (this.inFlight < this.window + URGENT_RESERVE) entry = this.urgent.take();
      if (!entry && this.inFlight < this.window) entry = this.takeRoutine();
      if (!entry) break;
      this.send(entry);
    }
    this.checkIdle();
  }

  private enqueue(entry: RelayEntry): void {
    const key = entry.key;
    if (entry.urgent && (key === undefined || !this.routineByKey.has(key))) {
      this.urgent.push(entry);
      return;
    }
    this.routine.push(entry);
    if (key !== undefined) this.routineByKey.set(key, (this.routineByKey.get(key) ?? 0) + 1);
  }

  private takeRoutine(): RelayEntry | undefined {
    const entry = this.routine.take();
    const key = entry?.key;
    if (key !== undefined) {
      const left = this.routineByKey.get(key)! - 1;
      if (left === 0) this.routineByKey.delete(key);
      else this.routineByKey.set(key, left);
    }
    return entry;
  }

  private clearQueues(): void {
    this.urgent.clear();
    this.routine.clear();
    this.routineByKey.clear();
  }

  /**
   * Hands one entry to the broker without waiting for the previous acknowledgement: one
   * connection keeps the send order, and mqtt.js resends unacknowledged QoS 1 messages in order
   * after a reconnect.
   */
  private send(entry: RelayEntry): void {
    const flight: Flight = { entry, state: PENDING };
    this.flights.push(flight);
    this.inFlight++;
    if (entry.id > this.lastTaken) this.lastTaken = entry.id;
    let published: Promise<void>;
    try {
      published = this.options.publish(entry.topic, entry.payload, entry.qos, entry.retain);
    } catch (err) {
      published = Promise.reject(err as Error);
    }
    published.then(
      () => this.settle(flight, undefined),
      (err: unknown) => this.settle(flight, err instanceof Error ? err : new Error(String(err))),
    );
  }

  /**
   * A publish called back. Deliveries are counted in send order: only the run before the first
   * refusal counts as delivered, and whatever followed it is sent again after it, so the last copy
   * a consumer sees of an order is still its newest version.
   */
  private settle(flight: Flight, err: Error | undefined): void {
    this.inFlight--;
    flight.state = err ? REFUSED : DELIVERED;
    if (err) {
      flight.error = err;
      this.halted = true;
    }
    const { outbox, scheduler } = this.options;
    let delivered = 0;
    while (this.flightsHead < this.flights.length && this.flights[this.flightsHead]!.state !== PENDING) {
      const done = this.flights[this.flightsHead++]!;
      if (done.state === REFUSED) {
        outbox.markAttempt(done.entry.id, scheduler.now(), done.error!.message);
        this.refusal ??= { topic: done.entry.topic, err: done.error! };
      } else if (!this.refusal) {
        this.unmarked.push(done.entry.id);
        delivered++;
      }
    }
    if (this.flightsHead === this.flights.length) {
      this.flights = [];
      this.flightsHead = 0;
    }
    this.delivered += delivered;
    if (delivered > 0 && !this.halted) this.failures = 0;
    if (this.halted && this.inFlight === 0) this.afterRefusal();
    const waiter = this.settleWaiter;
    if (waiter?.ready()) {
      this.settleWaiter = undefined;
      waiter.resolve();
    }
    if (this.caughtUp) this.pump();
    else this.checkIdle();
  }

  /** Every flight has settled after a refusal: back to the table after a backoff. */
  private afterRefusal(): void {
    const refusal = this.refusal;
    this.halted = false;
    this.refusal = undefined;
    // The refused entry and those after it are in the table: read from there after the retry.
    this.caughtUp = false;
    this.handedOver = [];
    this.clearQueues();
    this.writeMarks();
    // Shutting down: the entries wait in the outbox for the next start.
    if (!this.stopped && refusal) {
      this.options.onPublishFailed?.(refusal.topic, refusal.err);
      this.scheduleRetry();
    }
  }

  private until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      this.settleWaiter = { ready, resolve };
    });
  }

  /** Pending rows in id order, until a read comes back short; then caught up. */
  private async readTable(): Promise<void> {
    const batchSize = this.options.batchSize ?? 256;
    this.reading = true;
    try {
      while (!this.caughtUp && !this.stopped && !this.retry) {
        // What was published is marked first, or the read would return it again.
        await this.until(() => this.inFlight === 0);
        if (this.stopped || this.retry) return;
        this.tableChanged = false;
        this.writeMarks();
        const batch = this.options.outbox.pending(batchSize);
        for (const entry of batch) {
          if (this.inFlight >= this.window) await this.until(() => this.inFlight < this.window || this.halted || this.retry !== undefined);
          if (this.halted || this.stopped || this.retry) break;
          this.send(entry);
        }
        await this.until(() => this.inFlight === 0);
        if (this.stopped || this.retry) return;
        if (batch.length === batchSize || this.tableChanged) continue;
        // A short read: everything pending was in it, and whatever was committed since is in
        // memory (ids above the last one read).
        this.caughtUp = true;
        const fresh = this.handedOver.filter((entry) => entry.id > this.lastTaken);
        this.handedOver = [];
        for (const entry of fresh) this.enqueue(entry);
      }
    } finally {
      this.reading = false;
      // Caught up: send what was handed over; otherwise (a retry, a stop) let `whenIdle` resolve.
      this.pump();
    }
  }

  /**
   * Nothing in flight, nothing being read, nothing queued that could go (a retry or a stop holds
   * the rest in the table): marks get their timer, old rows are pruned, `whenIdle` resolves.
   */
  private checkIdle(): void {
    if (this.reading || this.inFlight > 0) return;
    if (this.urgent.size + this.routine.size > 0 && !this.stopped && !this.retry) return;
    this.scheduleMarks();
    this.pruneDelivered();
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private scheduleMarks(): void {
    if (this.unmarked.length === 0 || this.markTimer || this.stopped) return;
    this.markTimer = this.options.scheduler.schedule(() => {
      this.markTimer = undefined;
      this.writeMarks();
    }, MARK_DELAY_MS);
  }

  /** Without this the outbox table would grow with every alert for as long as the engine runs. */
  private pruneDelivered(): void {
    const now = this.options.scheduler.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    this.options.outbox.pruneDelivered(now - (this.options.retainDeliveredMs ?? 24 * 3_600_000));
  }

  private scheduleRetry(): void {
    const base = this.options.retryBaseMs ?? 500;
    const max = this.options.retryMaxMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** this.failures);
    this.failures++;
    this.retry = this.options.scheduler.schedule(() => {
      this.retry = undefined;
      this.kick();
    }, delay);
  }
}
