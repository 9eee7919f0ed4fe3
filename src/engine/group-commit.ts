import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder } from '../contracts/order.js';
import type { OrderEventRecord } from '../api/engine-api.js';
import type { OrderUpdate } from '../dispatch/order-manager.js';
import { alertAnnouncement, orderAnnouncement, overdueAnnouncement, type Announcement } from '../sinks/announcements.js';
import type { OutboxMessage } from '../store/outbox-repository.js';
import type { Store } from '../store/store.js';

/** One change to make durable: an alert event, a change of an order, or both. */
export interface PendingChange {
  event?: AlertEvent;
  update?: OrderUpdate;
  /** Set once committed: the order version's entry in the order event log (SSE). */
  orderEvent?: OrderEventRecord;
}

interface Staged {
  change: PendingChange;
  messages: OutboxMessage[];
  orderEvent?: Omit<OrderEventRecord, 'id'>;
}

export interface GroupCommitOptions {
  store: Store;
  prefix: string;
  /** Outbox sinks besides MQTT that receive every order event, e.g. `webhook:https://…`. */
  orderSinks?: readonly string[];
  now(): number;
  /** After the transaction: announce (kick the relays, emit events) in commit order. */
  onCommitted(changes: PendingChange[]): void;
  onError(err: Error): void;
}

/** The alert as it was at this event, for announcements made after later changes mutated it. */
export function snapshotEvent(event: AlertEvent): AlertEvent {
  return { ...event, alert: { ...event.alert, history: [...event.alert.history] } };
}

/**
 * Group commit: every change made in one synchronous burst (a timer storm firing thousands of
 * offline alerts, a batch message, one reading) goes into ONE SQLite transaction at the end of the
 * burst (a microtask later), instead of one transaction — and one WAL commit of every touched
 * index page — per change. Durable before announced still holds: nothing is emitted or handed to
 * a relay before the transaction commits.
 *
 * Each change writes, in the same transaction: the alert and/or order row, one outbox row per sink
 * (MQTT, plus one per webhook endpoint, plus the overdue topic for deadline steps), and the order
 * event log entry the SSE stream serves. Payloads are serialised when a change is staged, so each
 * announcement shows the state it announces. Orders not yet committed are visible through
 * `pendingOrderFor` / `pendingOrder`, so a second change within the burst builds on the first.
 */
export class GroupCommit {
  private staged: Staged[] = [];
  private readonly pendingByAlert = new Map<string, DispatchOrder>();
  private readonly pendingById = new Map<string, DispatchOrder>();
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions) {}

  stage(change: PendingChange): void {
    const { prefix } = this.options;
    const messages: OutboxMessage[] = [];
    const snapshot: PendingChange = {};
    const staged: Staged = { change: snapshot, messages };
    if (change.event) {
      // The event is emitted after commit: give listeners the alert as it was at this change.
      snapshot.event = snapshotEvent(change.event);
      messages.push(alertAnnouncement(prefix, snapshot.event));
    }
    if (change.update) {
      const { order } = change.update;
      snapshot.update = change.update;
      const announcement = orderAnnouncement(prefix, order, change.update.change);
      messages.push(announcement);
      if (change.update.change === 'overdue' || change.update.change === 'deadline_warning') {
        messages.push(overdueAnnouncement(prefix, order, announcement));
      }
      for (const sink of this.options.orderSinks ?? []) messages.push(sinkCopy(announcement, sink));
      staged.orderEvent = { orderId: order.id, version: order.version, type: announcement.type, at: order.updatedAt, payload: announcement.payload };
      this.pendingByAlert.set(order.alertId, order);
      this.pendingById.set(order.id, order);
    }
    this.staged.push(staged);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Changes are staged and not yet committed. */
  get hasStaged(): boolean {
    return this.staged.length > 0;
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
    this.scheduled = false;
    if (this.staged.length === 0) return;
    const staged = this.staged;
    this.staged = [];
    this.pendingByAlert.clear();
    this.pendingById.clear();
    const { store } = this.options;
    const at = this.options.now();
    try {
      store.transaction(() => {
        for (const { change, messages, orderEvent } of staged) {
          if (change.event) store.alerts.save(change.event.alert);
          if (change.update) store.orders.save(change.update.order);
          for (const message of messages) store.outbox.append(message, at);
          if (orderEvent) change.orderEvent = { id: store.orderEvents.append(orderEvent), ...orderEvent };
        }
      });
    } catch (err) {
      for (const { change } of staged) delete change.orderEvent;
      this.options.onError(err as Error);
      return;
    }
    this.options.onCommitted(staged.map((s) => s.change));
  }
}

function sinkCopy(announcement: Announcement, sink: string): OutboxMessage {
  return {
    topic: announcement.topic,
    payload: announcement.payload,
    qos: 1,
    orderingKey: announcement.orderingKey,
    sink,
    idempotencyKey: announcement.id,
  };
}
