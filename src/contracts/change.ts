import type { AlertEvent } from './alert.js';
import type { OrderUpdate } from './order.js';

/**
 * One change to make durable, then announce: an alert event, a new version of an order, or both
 * (an alert opening with its order). The dispatcher stages changes; the group commit writes them.
 */
export interface Change {
  event?: AlertEvent;
  update?: OrderUpdate;
}
