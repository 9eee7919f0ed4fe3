import type { Alert } from '../../src/contracts/alert.js';
import type { Change } from '../../src/contracts/change.js';
import type { DispatchDecision } from '../../src/contracts/dispatch.js';
import type { Level } from '../../src/contracts/level.js';
import type { DeadlineKind, DispatchOrder, OrderChange } from '../../src/contracts/order.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { makeContext } from './device-context.js';
import { makeAlert } from './store-fixtures.js';

/** One published order event, with the deadline it was about when it was a deadline step. */
export interface NoticeEvent {
  change: OrderChange;
  at: number;
  order: DispatchOrder;
  /** For `deadline_warning` and `overdue`: which deadline, and when it was (or is) due. */
  kind?: DeadlineKind;
  dueAt?: number;
}

export interface Unattended {
  clock: ManualScheduler;
  dispatcher: Dispatcher;
  events: NoticeEvent[];
  /** The order as last committed. */
  order(): DispatchOrder;
  /** Runs the engine clock to `end`, stopping at every timer and committing what it staged, as the engine does. */
  runUntil(end: number): void;
}

/**
 * The real Dispatcher (OrderManager, OverdueWatcher, DispatchQueue) on a ManualScheduler, with an
 * in-memory order book that commits after every timer: one alert of `level` opens an order routed
 * by `decision`, and nobody ever answers it. What the engine would publish is in `events`.
 */
export function unattendedOrder(level: Level, decision: DispatchDecision, start: number): Unattended {
  const clock = new ManualScheduler(start);
  const ctx = makeContext({ deviceId: 'gd-101', type: 'gas_detector', subject: { id: 'hh-101', livingAlone: true, age: 81 } });
  const orders = new Map<string, DispatchOrder>();
  const byAlert = new Map<string, DispatchOrder>();
  let staged: Change[] = [];
  const events: NoticeEvent[] = [];
  const failures: Error[] = [];

  const dispatcher = new Dispatcher({
    scheduler: clock,
    policy: { decideNow: () => decision, decide: async () => decision },
    registry: { context: (id) => (id === ctx.device.id ? ctx : undefined), department: () => undefined },
    book: {
      order: (id) => orders.get(id),
      orderForAlert: (alertId) => byAlert.get(alertId),
      openOrdersOfSubject: () => 0,
      alert: () => undefined,
      stage: (change) => staged.push(change),
      flush: () => commit(),
    },
    scenarioDispatches: () => true,
    counters: { overdue: 0, deadlineWarnings: 0 },
    onStageFailed: (_stage, err) => failures.push(err),
  });

  function commit(): void {
    const batch = staged;
    staged = [];
    for (const { update } of batch) {
      if (!update) continue;
      const { order, change } = update;
      orders.set(order.id, order);
      byAlert.set(order.alertId, order);
      events.push(describe(order, change));
      dispatcher.committed(order);
    }
    if (failures.length > 0) throw failures[0];
  }

  const alert: Alert = makeAlert({ id: 'a-101', deviceId: ctx.device.id, scenarioId: 'gas-concentration', category: 'gas', level, openedAt: start });
  dispatcher.onAlertEvent({ type: 'opened', alert, to: level, at: start });
  commit();
  const id = events[0]!.order.id;

  return {
    clock,
    dispatcher,
    events,
    order: () => orders.get(id)!,
    runUntil(end: number): void {
      while (clock.nextDueAt <= end) {
        clock.advanceTo(clock.nextDueAt);
        commit();
      }
      clock.advanceTo(end);
      commit();
    },
  };
}

function describe(order: DispatchOrder, change: OrderChange): NoticeEvent {
  const step = order.history.at(-1)!;
  const event: NoticeEvent = { change, at: step.at, order };
  if (change === 'deadline_warning') {
    event.kind = step.deadline!;
    event.dueAt = event.kind === 'response' ? order.responseDueAt : order.resolutionDueAt;
  } else if (change === 'overdue') {
    const missed = order.supervision.at(-1)!;
    event.kind = missed.deadline;
    event.dueAt = missed.dueAt;
  }
  return event;
}
