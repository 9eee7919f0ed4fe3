import type { OrderStatus } from '../contracts/order.js';

/**
 * Which status updates a downstream dispatch system may report, from where. A repeated update to the
 * current status is accepted and changes nothing (at-least-once delivery from dispatch systems).
 */
const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  created: ['dispatched', 'accepted', 'rejected', 'false_alarm', 'cancelled'],
  dispatched: ['accepted', 'in_progress', 'resolved', 'rejected', 'false_alarm', 'cancelled'],
  escalated: ['accepted', 'in_progress', 'resolved', 'rejected', 'false_alarm'],
  accepted: ['in_progress', 'resolved', 'false_alarm'],
  in_progress: ['resolved', 'false_alarm'],
  resolved: ['closed', 'in_progress'],
  rejected: ['dispatched', 'accepted'],
  closed: [],
  false_alarm: ['closed'],
  cancelled: [],
};

/** Statuses a downstream system may send (the others are set by the engine itself). */
export const REPORTABLE_STATUSES: readonly OrderStatus[] = ['accepted', 'in_progress', 'resolved', 'false_alarm', 'closed', 'rejected'];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** An order in one of these states is finished: a later escalation of its alert opens a new order. */
export function isFinished(status: OrderStatus): boolean {
  return status === 'resolved' || status === 'closed' || status === 'false_alarm' || status === 'cancelled';
}
