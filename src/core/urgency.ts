import type { AlertTransition } from '../contracts/alert.js';
import type { OrderChange } from '../contracts/order.js';

/**
 * Which changes go ahead of the queue. A risk that appears or worsens is news someone must act on
 * now; a clear, a de-escalation, a status report or a deadline step is bookkeeping that may wait a
 * few milliseconds. When a valve is shut for a block and a thousand gas alerts clear at once, a new
 * leak elsewhere must not queue behind their commits and announcements (bench/burst.ts).
 *
 * Urgency only reorders different keys: per ordering key (an alert, an order), everything still
 * goes in commit order — an urgent change never overtakes an earlier change of its own key.
 */
const URGENT_ALERT_TRANSITIONS: ReadonlySet<AlertTransition> = new Set(['opened', 'escalated']);
const URGENT_ORDER_CHANGES: ReadonlySet<OrderChange> = new Set(['created', 'escalated']);

export const isUrgentAlertTransition = (type: AlertTransition): boolean => URGENT_ALERT_TRANSITIONS.has(type);
export const isUrgentOrderChange = (change: OrderChange): boolean => URGENT_ORDER_CHANGES.has(change);
