import { snapshotEvent } from '../alerts/alert-snapshot.js';
import type { Alert, AlertEvent } from '../contracts/alert.js';
import type { Change } from '../contracts/change.js';
import type { Scheduler } from '../contracts/clock.js';
import type { DispatchDecision, DispatchFacts } from '../contracts/dispatch.js';
import type { OrderStatusUpdate } from '../contracts/engine-api.js';
import type { Department, DispatchOrder, OrderStatus, OrderUpdate } from '../contracts/order.js';
import type { DeviceContext } from '../contracts/registry.js';
import { ERR_NOT_FOUND } from '../core/errors.js';
import { dispatchFacts } from '../policy/dispatch-facts.js';
import { DispatchQueue } from './dispatch-queue.js';
import { dueAt } from './order-deadlines.js';
import { OrderManager } from './order-manager.js';
import { OverdueWatcher } from './overdue-watcher.js';

/**
 * The orders as the dispatcher sees them: the newest version of each (staged in the current burst,
 * else stored), and where its changes go. The engine's wiring provides it over the group commit
 * and the store.
 */
export interface OrderBook {
  /** The newest version of order `id`. */
  order(id: string): DispatchOrder | undefined;
  /** The newest order of an alert. */
  orderForAlert(alertId: string): DispatchOrder | undefined;
  /** Unfinished orders of a subject. */
  openOrdersOfSubject(subjectId: string): number;
  alert(id: string): Alert | undefined;
  /** Stages a change for the group commit: durable, then announced. */
  stage(change: Change): void;
  /** Commits what is staged now (for an answer that must show the stored state). */
  flush(): void;
}

/** The dispatch policy as the dispatcher asks it: at once when remembered, else asynchronously. */
export interface DispatchPolicyAdvisor {
  decideNow(facts: DispatchFacts): DispatchDecision | undefined;
  decide(facts: DispatchFacts): Promise<DispatchDecision>;
}

export interface DispatcherOptions {
  scheduler: Scheduler;
  policy: DispatchPolicyAdvisor;
  registry: {
    context(deviceId: string): DeviceContext | undefined;
    department(id: string): Department | undefined;
  };
  book: OrderBook;
  /** Whether a scenario's alerts become orders. */
  scenarioDispatches(scenarioId: string): boolean;
  /** Counts missed deadlines and warnings (/health). */
  counters: { overdue: number; deadlineWarnings: number };
  /** A step failed (`dispatch`, `deadlines`): reported and counted, the engine goes on. */
  onStageFailed(stage: string, err: Error): void;
  newId?: () => string;
}

/**
 * Alert events in, order changes out: decides each alert's order by the dispatch policy, applies
 * status reports from dispatch systems (a rejection is re-routed by the policy at once) and steps
 * up the supervision ladder when a deadline passes.
 *
 * Every change to orders runs through one DispatchQueue, so each applies to the order as the one
 * before left it, in the order they happened, while the policy decisions of a burst run together.
 * The OrderManager decides what each change does to an order; the dispatcher only sequences and
 * stages. Deadlines are armed when an order version is committed (`committed`) and on restart
 * (`restore`), so they keep running across one.
 */
export class Dispatcher {
  private readonly queue = new DispatchQueue();
  private readonly orders: OrderManager;
  private readonly watcher: OverdueWatcher;

  constructor(private readonly options: DispatcherOptions) {
    const { registry, book } = options;
    this.orders = new OrderManager({
      context: (deviceId) => registry.context(deviceId),
      findByAlert: (alertId) => book.orderForAlert(alertId),
      scenarioDispatches: options.scenarioDispatches,
      department: (id) => registry.department(id),
      ...(options.newId ? { newId: options.newId } : {}),
    });
    this.watcher = new OverdueWatcher(options.scheduler, (orderId, now) => this.onDeadline(orderId, now));
  }

  /** Re-arms the deadlines of unfinished orders after a restart (past ones fire at once). */
  restore(unfinished: Iterable<DispatchOrder>): void {
    for (const order of unfinished) this.watcher.watch(order);
  }

  /** An order version is durable: watch its deadlines as they now stand. */
  committed(order: DispatchOrder): void {
    this.watcher.watch(order);
  }

  /**
   * An alert changed: decide its order (the policy runs for openings and escalations) and stage
   * both in turn with every other order change. The alert is snapshotted now: by the time the
   * policy answers, later readings may have changed it.
   */
  onAlertEvent(live: AlertEvent): void {
    const { book } = this.options;
    const event = snapshotEvent(live);
    this.queue.push<DispatchDecision | undefined>({
      prepare: () => (this.orders.needsDecision(event) ? this.decide(event) : undefined),
      apply: (decision) => {
        let update: OrderUpdate | undefined;
        try {
          update = this.orders.onAlertEvent(event, decision);
        } catch (err) {
          this.options.onStageFailed('dispatch', err as Error);
        }
        book.stage(update ? { event, update } : { event });
      },
      fail: (err) => {
        // The alert itself is still recorded and announced; only its order could not be decided.
        this.options.onStageFailed('dispatch', err);
        book.stage({ event });
      },
    });
  }

  /**
   * A status report, applied in turn with every other order change. A rejection is followed at
   * once by a re-route decided by the policy; the answer is the order as stored after both.
   * Throws ERR_NOT_FOUND, ERR_ORDER_TRANSITION or ERR_VALIDATION.
   */
  async updateOrderStatus(id: string, update: OrderStatusUpdate): Promise<DispatchOrder> {
    const { book, scheduler } = this.options;
    const result = await this.queue.run(
      () => this.rerouteDecision(id, update.status),
      (decision) => {
        const order = book.order(id);
        if (!order) throw ERR_NOT_FOUND('order', id);
        const at = scheduler.now();
        const changed = this.orders.applyStatus(order, update.status, at, update.note, update.by);
        if (!changed) return order;
        book.stage({ update: changed });
        if (changed.order.status !== 'rejected' || !decision) return changed.order;
        const rerouted = this.orders.reroute(changed.order, decision, at);
        book.stage({ update: rerouted });
        return rerouted.order;
      },
    );
    book.flush(); // the caller answers with the stored state
    return result;
  }

  /** Resolves when every queued change has been decided and staged. */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Changes are waiting for a decision. */
  get busy(): boolean {
    return this.queue.busy;
  }

  /** Changes queued behind the one being decided (/health `dispatchQueue`). */
  get pending(): number {
    return this.queue.pending;
  }

  /** Orders whose deadlines are watched (/health `watchedOrders`). */
  get watchedOrders(): number {
    return this.watcher.size;
  }

  /** Cancels every deadline timer. */
  dispose(): void {
    this.watcher.dispose();
  }

  /** The policy's decision: at once when remembered (the usual case), else json-rules-engine's promise. */
  private decide(event: AlertEvent): DispatchDecision | Promise<DispatchDecision> | undefined {
    const { registry, book, policy } = this.options;
    const ctx = registry.context(event.alert.deviceId);
    if (!ctx) return undefined;
    const subjectId = ctx.subject?.id;
    const existing = book.orderForAlert(event.alert.id);
    let openOrdersOfSubject = subjectId ? book.openOrdersOfSubject(subjectId) : 0;
    if (existing && existing.subject?.id === subjectId && openOrdersOfSubject > 0 && existing.status !== 'cancelled') openOrdersOfSubject--;
    const facts = dispatchFacts({ alert: event.alert, ctx, at: event.at, openOrdersOfSubject, rejectedBy: existing?.rejectedBy ?? [] });
    return policy.decideNow(facts) ?? policy.decide(facts);
  }

  /** For a rejection: the policy's decision with the rejecting party added to `rejectedBy`. */
  private rerouteDecision(id: string, status: OrderStatus): DispatchDecision | Promise<DispatchDecision> | undefined {
    if (status !== 'rejected') return undefined;
    const { registry, book, policy, scheduler } = this.options;
    const order = book.order(id);
    const alert = order ? book.alert(order.alertId) : undefined;
    const ctx = order ? registry.context(order.deviceId) : undefined;
    if (!order || !alert || !ctx) return undefined;
    const rejectedBy = [...order.rejectedBy, order.department?.id ?? order.assignee.placeId];
    const openOrdersOfSubject = ctx.subject ? Math.max(0, book.openOrdersOfSubject(ctx.subject.id) - 1) : 0;
    const facts = dispatchFacts({ alert, ctx, at: scheduler.now(), openOrdersOfSubject, rejectedBy });
    return policy.decideNow(facts) ?? policy.decide(facts);
  }

  /** A deadline timer fired: whatever is due now (a warning or a miss) is applied in turn. */
  private onDeadline(orderId: string, now: number): void {
    const { book, scheduler, counters } = this.options;
    this.queue.push<undefined>({
      prepare: () => undefined,
      apply: () => {
        const order = book.order(orderId);
        if (!order) return;
        const due = dueAt(order, scheduler.now());
        if (!due) {
          this.watcher.watch(order); // moved on meanwhile (accepted, re-armed): watch the new times
          return;
        }
        const update = this.orders.deadlineDue(order, due, now);
        if (due.type === 'overdue') counters.overdue++;
        else counters.deadlineWarnings++;
        book.stage({ update });
      },
      fail: (err) => this.options.onStageFailed('deadlines', err),
    });
  }
}
