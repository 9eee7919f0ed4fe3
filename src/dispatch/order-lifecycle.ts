import { REPORTABLE_STATUSES, type OrderStatus } from '../contracts/order.js';

export { REPORTABLE_STATUSES } from '../contracts/order.js';

/**
 * The order state machine (收集—分办—处置—反馈—测评):
 *
 *   created → dispatched → accepted → in_progress → resolved → closed
 *
 * plus `rejected` (wrong assignee: the engine re-routes it by policy, back to `dispatched`),
 * `false_alarm` (the handler found no real risk; then `closed`), `cancelled` (the alert was
 * withdrawn before anyone accepted) and `escalated` (moved up a tier — by a higher alert level or a
 * missed response deadline — and waiting for the new assignee to accept).
 *
 * `resolved → in_progress` is the feedback loop's "not satisfied, reopened" (回访不满意).
 * Downstream systems may skip steps they do not track (`dispatched → resolved`).
 */
const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  created: ['dispatched', 'cancelled'],
  dispatched: ['accepted', 'in_progress', 'resolved', 'rejected', 'false_alarm', 'cancelled', 'escalated'],
  escalated: ['accepted', 'in_progress', 'resolved', 'rejected', 'false_alarm', 'cancelled', 'escalated'],
  accepted: ['in_progress', 'resolved', 'false_alarm'],
  in_progress: ['resolved', 'false_alarm'],
  resolved: ['closed', 'in_progress'],
  rejected: ['dispatched', 'escalated', 'cancelled'],
  false_alarm: ['closed'],
  closed: [],
  cancelled: [],
};

export const ORDER_STATUSES = Object.keys(ALLOWED) as OrderStatus[];

export function isReportable(status: OrderStatus): boolean {
  return (REPORTABLE_STATUSES as readonly OrderStatus[]).includes(status);
}

/** Statuses only the engine sets: creation, dispatch (commit to the outbox), escalation. */
export const ENGINE_STATUSES: readonly OrderStatus[] = ['created', 'dispatched', 'escalated'];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** An order in one of these states is finished: a later escalation of its alert opens a new order. */
export function isFinished(status: OrderStatus): boolean {
  return status === 'resolved' || status === 'closed' || status === 'false_alarm' || status === 'cancelled';
}

/** Nobody has taken the order yet: the response deadline is running. */
export function awaitsResponse(status: OrderStatus): boolean {
  return status === 'created' || status === 'dispatched' || status === 'escalated' || status === 'rejected';
}

/** Someone has taken it (or it was answered): response time stops here. */
export function impliesAcceptance(status: OrderStatus): boolean {
  return status === 'accepted' || status === 'in_progress' || status === 'resolved' || status === 'false_alarm' || status === 'closed';
}

/** The handler's verdict is in: resolution time stops here. */
export function impliesResolution(status: OrderStatus): boolean {
  return status === 'resolved' || status === 'false_alarm' || status === 'closed';
}
