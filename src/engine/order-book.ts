import type { OrderBook } from '../dispatch/dispatcher.js';
import type { Store } from '../store/store.js';
import type { GroupCommit } from './group-commit.js';

/**
 * The dispatcher's view of orders: the newest version of each is the one staged in the current
 * burst (not yet committed) if any, else the stored one; changes go to the group commit.
 */
export function orderBook(store: Store, commits: GroupCommit): OrderBook {
  return {
    order: (id) => commits.pendingOrder(id) ?? store.orders.get(id),
    orderForAlert: (alertId) => commits.pendingOrderFor(alertId) ?? store.orders.findByAlert(alertId),
    openOrdersOfSubject: (subjectId) => store.orders.countOpenForSubject(subjectId),
    alert: (id) => store.alerts.get(id),
    stage: (change) => commits.stage(change),
    flush: () => commits.flush(),
  };
}
