import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder } from '../contracts/order.js';
import type { OrderUpdate } from '../dispatch/order-manager.js';
import { alertAnnouncement, orderAnnouncement, type Announcement } from '../sinks/announcements.js';
import type { Store } from '../store/store.js';

/** One change to make durable: an alert event, a status change of an order, or both. */
export interface PendingChange {
  event?: AlertEvent;
  update?: OrderUpdate;
}

interface Staged {
  change: PendingChange;
  messages: Announcement[];
}

export interface GroupCommitOptions {
  store: Store;
  prefix: string;
  now(): number;
  /** After the transaction: announce (kick the relay, emit events) in commit order. */
  onCommitted(changes: PendingChange[]): void;
  onError(err: Error): void;
}

/**
 * Group commit: every change made in one synchronous burst (a timer storm firing thousands of
 * offline alerts, a batch message, one reading) goes into ONE SQLite transaction at the end of the
 * burst (a microtask later), instead of one transaction — and one WAL commit of every touched
 * index page — per change. Durable before announced still holds: nothing is emitted or handed to
 * the relay before the transaction commits.
 *
 * Payloads are serialised when a change is staged, so each announcement shows the state it
 * announces even if a later change in the same burst mutates the alert again. Orders not yet
 * committed are visible through `pendingOrderFor`, so a second change to the same alert within
 * the burst updates the order instead of creating another.
 */
export class GroupCommit {
  private staged: Staged[] = [];
  private readonly pendingOrders = new Map<string, DispatchOrder>();
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions) {}

  stage(change: PendingChange): void {
    const { prefix } = this.options;
    const messages: Announcement[] = [];
    const snapshot: PendingChange = {};
    if (change.event) {
      const alert = change.event.alert;
      // The event is emitted after commit: give listeners the alert as it was at this change.
      snapshot.event = { ...change.event, alert: { ...alert, history: [...alert.history] } };
      messages.push(alertAnnouncement(prefix, snapshot.event));
    }
    if (change.update) {
      snapshot.update = change.update;
      messages.push(orderAnnouncement(prefix, change.update.order, change.update.change));
      this.pendingOrders.set(change.update.order.alertId, change.update.order);
    }
    this.staged.push({ change: snapshot, messages });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** The newest order of `alertId` that is staged but not yet committed. */
  pendingOrderFor(alertId: string): DispatchOrder | undefined {
    return this.pendingOrders.get(alertId);
  }

  /** Commits everything staged now (also called before anything reads or writes orders directly). */
  flush(): void {
    this.scheduled = false;
    if (this.staged.length === 0) return;
    const staged = this.staged;
    this.staged = [];
    this.pendingOrders.clear();
    const { store } = this.options;
    const at = this.options.now();
    try {
      store.transaction(() => {
        for (const { change, messages } of staged) {
          if (change.event) store.alerts.save(change.event.alert);
          if (change.update) store.orders.save(change.update.order);
          for (const message of messages) store.outbox.append(message, at);
        }
      });
    } catch (err) {
      this.options.onError(err as Error);
      return;
    }
    this.options.onCommitted(staged.map((s) => s.change));
  }
}
