import type { DeadlineKind, DispatchOrder } from '../contracts/order.js';
import { awaitsResponse, isFinished } from './order-lifecycle.js';

/** One deadline of an order that is still running. */
export interface RunningDeadline {
  kind: DeadlineKind;
  dueAt: number;
  /** When the span leading to `dueAt` began (creation, re-routing or the last supervision step). */
  since: number;
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
  if (awaitsResponse(order.status)) running.push({ kind: 'response', dueAt: order.responseDueAt, since: spanStart(order, 'response') });
  running.push({ kind: 'resolution', dueAt: order.resolutionDueAt, since: spanStart(order, 'resolution') });
  return running;
}

/** When the warning for `deadline` is due: `warnAt` of the way through its span (0 = never). */
export function warningTime(deadline: RunningDeadline, warnAt: number): number | undefined {
  if (!(warnAt > 0 && warnAt < 1)) return undefined;
  return deadline.since + Math.floor(warnAt * (deadline.dueAt - deadline.since));
}

/** The next moment something may be due for the order (warning or miss); undefined when nothing runs. */
export function nextCheckAt(order: DispatchOrder): number | undefined {
  let next: number | undefined;
  for (const deadline of runningDeadlines(order)) {
    const warnAt = order.warned.includes(deadline.dueAt) ? undefined : warningTime(deadline, order.sla.warnAt);
    const t = warnAt !== undefined && warnAt < deadline.dueAt ? warnAt : deadline.dueAt;
    if (next === undefined || t < next) next = t;
  }
  return next;
}

/**
 * What is due at `now`, the most urgent first: a missed deadline before a warning, the response
 * deadline before the resolution deadline. One step at a time; the caller checks again after
 * applying it (a further step may be due at once, e.g. after the engine was down for a day).
 */
export function dueAt(order: DispatchOrder, now: number): DueDeadline | undefined {
  const running = runningDeadlines(order);
  for (const deadline of running) {
    if (now >= deadline.dueAt) return { kind: deadline.kind, dueAt: deadline.dueAt, type: 'overdue' };
  }
  for (const deadline of running) {
    if (order.warned.includes(deadline.dueAt)) continue;
    const warnAt = warningTime(deadline, order.sla.warnAt);
    if (warnAt !== undefined && now >= warnAt) return { kind: deadline.kind, dueAt: deadline.dueAt, type: 'warning' };
  }
  return undefined;
}

/** Start of the current span of `kind`: the last supervision step of that kind, re-routing, or creation. */
function spanStart(order: DispatchOrder, kind: DeadlineKind): number {
  let since = order.createdAt;
  for (const entry of order.supervision) if (entry.deadline === kind && entry.at > since) since = entry.at;
  if (kind === 'response') {
    for (const entry of order.history) if (entry.type === 'rerouted' && entry.at > since) since = entry.at;
  }
  return since;
}
