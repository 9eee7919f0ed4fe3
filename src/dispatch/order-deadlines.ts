import type { DeadlineKind, DispatchOrder } from '../contracts/order.js';
import { awaitsResponse, isFinished } from './order-lifecycle.js';
import { TOP_OF_LADDER } from './supervision-ladder.js';

/** One deadline of an order that is still running. */
export interface RunningDeadline {
  kind: DeadlineKind;
  dueAt: number;
  /** When the span leading to `dueAt` began (creation, re-routing or the last supervision step). */
  since: number;
  /**
   * The span was opened by a supervision step that reached the top of the ladder: `dueAt` is when
   * leadership is reminded again (`remindEvery`), not a deadline anyone can still meet in time.
   */
  reminder: boolean;
}

/** What is due for an order at a given moment: a warning before a deadline, or the miss itself. */
export interface DueDeadline {
  kind: DeadlineKind;
  dueAt: number;
  type: 'warning' | 'overdue';
}

/**
 * The deadlines still running: the response deadline until someone accepts, the resolution
 * deadline until the order is finished.
 */
export function runningDeadlines(order: DispatchOrder): RunningDeadline[] {
  const running: RunningDeadline[] = [];
  if (isFinished(order.status)) return running;
  if (awaitsResponse(order.status)) running.push({ kind: 'response', dueAt: order.responseDueAt, ...currentSpan(order, 'response') });
  running.push({ kind: 'resolution', dueAt: order.resolutionDueAt, ...currentSpan(order, 'resolution') });
  return running;
}

/** When the warning for `deadline` is due: `warnAt` of the way through its span (0 = never). */
export function warningTime(deadline: RunningDeadline, warnAt: number): number | undefined {
  if (!(warnAt > 0 && warnAt < 1)) return undefined;
  const at = deadline.since + Math.floor(warnAt * (deadline.dueAt - deadline.since));
  // A warning at or after the deadline itself would only repeat the miss.
  return at < deadline.dueAt ? at : undefined;
}

/**
 * When the order's warning for `deadline` is due, or undefined when none will be: the deadline was
 * warned already (`order.warned` keeps the last warned dueAt per kind, which is all a running
 * deadline needs), it is a reminder at the top of the ladder, or the policy warns at no point.
 */
export function pendingWarning(order: DispatchOrder, deadline: RunningDeadline): number | undefined {
  if (deadline.reminder || order.warned[deadline.kind] === deadline.dueAt) return undefined;
  return warningTime(deadline, order.sla.warnAt);
}

/** The next moment something may be due for the order (warning or miss); undefined when nothing runs. */
export function nextCheckAt(order: DispatchOrder): number | undefined {
  let next: number | undefined;
  for (const deadline of runningDeadlines(order)) {
    const t = pendingWarning(order, deadline) ?? deadline.dueAt;
    if (next === undefined || t < next) next = t;
  }
  return next;
}

/**
 * What is due at `now`, the most urgent first: a missed deadline before a warning, the response
 * deadline before the resolution deadline. One step at a time; the caller checks again after
 * applying it (a further step may be due at once, e.g. after the engine was down for a day).
 * A deadline already due is never warned about: its miss is due instead.
 */
export function dueAt(order: DispatchOrder, now: number): DueDeadline | undefined {
  const running = runningDeadlines(order);
  for (const deadline of running) {
    if (now >= deadline.dueAt) return { kind: deadline.kind, dueAt: deadline.dueAt, type: 'overdue' };
  }
  for (const deadline of running) {
    const warnAt = pendingWarning(order, deadline);
    if (warnAt !== undefined && now >= warnAt) return { kind: deadline.kind, dueAt: deadline.dueAt, type: 'warning' };
  }
  return undefined;
}

/**
 * The current span of `kind`: it starts at the last supervision step of that kind, a re-routing
 * (response only: the new assignee gets a fresh span) or creation, whichever came last; it is a
 * reminder when that last event was a step to the top of the ladder.
 */
function currentSpan(order: DispatchOrder, kind: DeadlineKind): { since: number; reminder: boolean } {
  let since = order.createdAt;
  let reminder = false;
  for (const entry of order.supervision) {
    if (entry.deadline === kind && entry.at >= since) {
      since = entry.at;
      reminder = entry.to === TOP_OF_LADDER;
    }
  }
  if (kind === 'response') {
    for (const entry of order.history) {
      if (entry.type === 'rerouted' && entry.at > since) {
        since = entry.at;
        reminder = false;
      }
    }
  }
  return { since, reminder };
}
