import { snapshotEvent } from '../alerts/alert-snapshot.js';
import type { Change } from '../contracts/change.js';
import type { DispatchOrder } from '../contracts/order.js';
import type { Announcement, Sink } from '../contracts/sink.js';
import { announceAlert, announceOrder } from '../sinks/announcements.js';
import type { Store } from '../store/store.js';
import { FifoQueue } from '../core/fifo-queue.js';
import { isUrgentAlertTransition, isUrgentOrderChange } from '../core/urgency.js';

/** One change to make durable: an alert event, a change of an order, or both. */
export type PendingChange = Change;

interface Staged {
  change: PendingChange;
  /**
   * Its ordering keys, the alert's and the order's (`a:{id}`, `o:{id}`): changes sharing one commit
   * in staging order.
   */
  keys: string[];
  /** What the sinks announce, serialised when staged: each shows the state it announces. */
  announcements: Announcement[];
  /** The alert as JSON, serialised once for both its row and its announcement. */
  alertBody?: string;
}

/**
 * How much one transaction may hold, and how far commits may fall behind. A storm (a million
 * offline timers, a restart's backlog) is committed as a run of transactions with the event loop
 * handed back between them, so timers, I/O and the API keep running instead of waiting seconds
 * behind one huge commit.
 */
export interface CommitBudget {
  /** Changes per transaction at most. */
  maxChanges: number;
  /**
   * Milliseconds on the `now()` clock one transaction may spend writing before it commits. On a
   * virtual clock time stands still while it writes, so only `maxChanges` applies there.
   */
  maxMs: number;
  /**
   * Milliseconds a transaction may spend on routine changes (clears, status reports, deadline
   * steps) once no urgent change is waiting. Routine work then goes in short slices with the loop
   * handed back between them, so readings that arrive meanwhile are read first: a new leak behind a
   * burst of clears waits for the clears' reading, not for their commits. Urgent changes keep
   * `maxMs`.
   */
  routineMs: number;
  /**
   * Changes that may wait for their transaction while the loop is handed back. Past it, a turn
   * commits transaction after transaction until the backlog is under the bound again: lateness
   * instead of memory without limit when the store cannot keep up (each waiting change holds its
   * serialised alert and announcement, a few KB).
   */
  maxBacklog: number;
}

/**
 * 1 000 changes or 10 ms per transaction, 20 000 changes waiting at most. A storm's alert costs
 * ~40 µs to write and commit, so a transaction holds a couple of hundred changes: enough to share
 * the commit's WAL append, short enough to keep the loop's blocks far under a 50 ms lateness
 * budget. Measured (bench/results/timers.md): letting detection run far ahead of the store (a
 * backlog of 200 000) bought no throughput, and the heap of waiting changes cost more in garbage
 * collection than it saved; changes committed soon after staging die young.
 *
 * Routine changes get 1 ms slices. Measured with bench/burst.ts (1 000 clears in 100 ms, a new gas
 * alarm sent into them, 10 rounds): the new order's delay was 82 ms median, 117 ms worst with 10 ms
 * slices, 55 / 156 ms with 3 ms, and 9–17 ms median, 34–85 ms worst with 1 ms (three runs); the
 * clears took ~30 ms longer to drain (more, smaller transactions). A storm of openings is urgent
 * and keeps the 10 ms transactions.
 */
export const DEFAULT_COMMIT_BUDGET: Readonly<CommitBudget> = { maxChanges: 1_000, maxMs: 10, routineMs: 1, maxBacklog: 20_000 };

export interface GroupCommitOptions {
  store: Pick<Store, 'alerts' | 'orders' | 'transaction'>;
  /** Where changes are announced; each is handed what it accepts (see contracts/sink.ts). */
  sinks: readonly Sink[];
  now(): number;
  /** After each transaction, once every sink has it: the changes in commit order (emit events, arm deadlines). */
  onCommitted(changes: PendingChange[]): void;
  onError(err: Error): void;
  budget?: Partial<CommitBudget>;
  /**
   * Runs `next` later in this turn of the event loop, after its timers and I/O (default
   * `setImmediate`): a yield, not a delay — nothing here waits for time to pass.
   */
  yieldTo?(next: () => void): void;
}

/**
 * A risk that appeared or worsened (core/urgency.ts): its change is committed ahead of routine
 * changes of other alerts, so a new leak is not written after a thousand clears staged before it.
 */
const isUrgent = (change: PendingChange): boolean =>
  (change.event !== undefined && isUrgentAlertTransition(change.event.type)) || (change.update !== undefined && isUrgentOrderChange(change.update.change));

/**
 * Group commit: the changes staged in one turn of the event loop (a batch message, the readings of
 * one poll, a wake-up of a timer queue) go into one SQLite transaction at the end of the turn
 * (`setImmediate`, after the turn's timers and I/O), instead of one transaction — and one WAL commit
 * of every touched index page — per change.
 *
 * A transaction holds at most one `CommitBudget` of changes; what is left is committed in the
 * following turns, in staging order, so the loop never blocks for seconds while a storm is written,
 * unless the backlog passes `maxBacklog`. `flush()` commits everything staged at once (still in
 * bounded transactions), for callers that read the store right after.
 *
 * Durable before announced: a change is emitted or handed to a relay only after the transaction
 * holding it committed, and changes are announced in commit order. Commit order is staging order
 * per alert; across alerts, urgent changes (an alert opened or escalated, an order created or
 * escalated) go ahead of routine ones (clears, status reports, deadline steps) — a burst of a
 * thousand clears must not hold up a new gas leak's order (bench/burst.ts).
 *
 * Each change writes, in the same transaction: the alert and/or order row, then every sink that
 * accepts the change writes what it needs to deliver it later (an outbox row per MQTT topic or
 * webhook endpoint, the order event log entry the SSE stream serves). Announcements are serialised
 * once, when a change is staged, so each shows the state it announces. Orders not yet committed are
 * visible through `pendingOrderFor` / `pendingOrder`, so a later change builds on the newest version.
 */
export class GroupCommit {
  private readonly urgent = new FifoQueue<Staged>();
  private readonly routine = new FifoQueue<Staged>();
  /** Routine changes staged per ordering key: an urgent change sharing one waits behind them. */
  private readonly routineByKey = new Map<string, number>();
  private readonly pendingByAlert = new Map<string, DispatchOrder>();
  private readonly pendingById = new Map<string, DispatchOrder>();
  /** A background commit is scheduled; its number, so a `flush()` in between makes it a no-op. */
  private scheduled = false;
  private generation = 0;
  private readonly budget: CommitBudget;
  private readonly yieldTo: (next: () => void) => void;
  /** The sinks of each kind of announcement, looked up once. */
  private readonly alertSinks: readonly Sink[];
  private readonly orderSinks: readonly Sink[];

  constructor(private readonly options: GroupCommitOptions) {
    this.alertSinks = options.sinks.filter((sink) => sink.accepts.has('alerts'));
    this.orderSinks = options.sinks.filter((sink) => sink.accepts.has('orders'));
    this.budget = { ...DEFAULT_COMMIT_BUDGET, ...options.budget };
    if (!(this.budget.maxChanges >= 1)) throw new RangeError('CommitBudget.maxChanges must be at least 1');
    this.yieldTo = options.yieldTo ?? ((next) => setImmediate(next));
  }

  stage(change: PendingChange): void {
    const announcements: Announcement[] = [];
    const snapshot: PendingChange = {};
    const keys: string[] = [];
    if (change.event) keys.push(`a:${change.event.alert.id}`);
    if (change.update) keys.push(`o:${change.update.order.id}`);
    const staged: Staged = { change: snapshot, keys, announcements };
    if (change.event) {
      // The event is emitted after commit: give listeners the alert as it was at this change.
      const event = snapshotEvent(change.event);
      snapshot.event = event;
      staged.alertBody = JSON.stringify(event.alert);
      if (this.alertSinks.length > 0) announcements.push(announceAlert(event, staged.alertBody));
    }
    if (change.update) {
      const { order } = change.update;
      snapshot.update = change.update;
      if (this.orderSinks.length > 0) announcements.push(announceOrder(change.update));
      this.pendingByAlert.set(order.alertId, order);
      this.pendingById.set(order.id, order);
    }
    if (isUrgent(change) && !keys.some((key) => this.routineByKey.has(key))) this.urgent.push(staged);
    else {
      this.routine.push(staged);
      for (const key of keys) this.routineByKey.set(key, (this.routineByKey.get(key) ?? 0) + 1);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      const generation = this.generation;
      this.yieldTo(() => this.commitInBackground(generation));
    }
  }

  /** Changes are staged and not yet committed. */
  get hasStaged(): boolean {
    return this.backlog > 0;
  }

  /** How many changes wait for their transaction. */
  get backlog(): number {
    return this.urgent.size + this.routine.size;
  }

  /** The next change to commit: urgent ones first (see the class comment). */
  private takeNext(): Staged | undefined {
    const urgent = this.urgent.take();
    if (urgent) return urgent;
    const staged = this.routine.take();
    if (staged) {
      for (const key of staged.keys) {
        const left = this.routineByKey.get(key)! - 1;
        if (left === 0) this.routineByKey.delete(key);
        else this.routineByKey.set(key, left);
      }
    }
    return staged;
  }

  /** The newest order of `alertId` that is staged but not yet committed. */
  pendingOrderFor(alertId: string): DispatchOrder | undefined {
    return this.pendingByAlert.get(alertId);
  }

  /** The newest version of order `id` that is staged but not yet committed. */
  pendingOrder(id: string): DispatchOrder | undefined {
    return this.pendingById.get(id);
  }

  /** Commits everything staged now (also called before anything reads or writes orders directly). */
  flush(): void {
    // A background commit scheduled earlier finds nothing left; a stage() after this schedules anew.
    this.scheduled = false;
    this.generation++;
    while (this.hasStaged) this.commitChunk();
  }

  private commitInBackground(generation: number): void {
    if (generation !== this.generation) return;
    this.scheduled = false;
    if (!this.hasStaged) return;
    this.commitChunk();
    while (this.backlog > this.budget.maxBacklog) this.commitChunk();
    if (this.hasStaged && !this.scheduled) {
      this.scheduled = true;
      this.yieldTo(() => this.commitInBackground(generation));
    }
  }

  /** One transaction: staged changes from the front, within the budget; then announces them. */
  private commitChunk(): void {
    const { store, now, sinks } = this.options;
    const chunk: Staged[] = [];
    const started = now();
    const deadline = started + this.budget.maxMs;
    const routineDeadline = started + Math.min(this.budget.routineMs, this.budget.maxMs);
    let failed: Error | undefined;
    try {
      store.transaction(() => {
        for (const sink of sinks) sink.begin?.();
        const at = started;
        while (chunk.length < this.budget.maxChanges) {
          const staged = this.takeNext();
          if (!staged) break;
          // Taken before it is written: if writing fails, the rollback drops it with the rest.
          chunk.push(staged);
          const { change, announcements, alertBody } = staged;
          if (change.event) {
            const alert = change.event.alert;
            // An opening is the alert's first row: no update to try first (see AlertRepository).
            if (change.event.type === 'opened') store.alerts.saveOpened(alert, alertBody);
            else store.alerts.save(alert, alertBody);
          }
          if (change.update) store.orders.save(change.update.order);
          for (const announcement of announcements) {
            for (const sink of announcement.kind === 'alert' ? this.alertSinks : this.orderSinks) sink.write(announcement, at);
          }
          const writtenAt = now();
          if (writtenAt >= deadline || (this.urgent.size === 0 && writtenAt >= routineDeadline)) break;
        }
      });
    } catch (err) {
      failed = err as Error;
      // The transaction rolled back as a whole: every change it held, including the one being
      // written when it failed, is dropped and reported once. Failed before taking anything
      // (BEGIN itself: e.g. the database is closed): the changes it was to hold go, so a flush()
      // always makes progress.
      if (chunk.length === 0) {
        for (let i = 0; i < this.budget.maxChanges; i++) {
          const staged = this.takeNext();
          if (!staged) break;
          chunk.push(staged);
        }
      }
    }
    for (const { change } of chunk) {
      const order = change.update?.order;
      if (!order) continue;
      // Only the newest staged version is visible; once it is in the store, reads go there.
      if (this.pendingById.get(order.id) === order) this.pendingById.delete(order.id);
      if (this.pendingByAlert.get(order.alertId) === order) this.pendingByAlert.delete(order.alertId);
    }
    if (failed) {
      for (const sink of sinks) sink.rolledBack();
      this.options.onError(failed);
      return;
    }
    for (const sink of sinks) sink.committed();
    this.options.onCommitted(chunk.map((s) => s.change));
  }
}
