import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store, openStore } from '../../../src/store/store.js';
import { openDatabase } from '../../../src/store/database.js';
import { T0, makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

/** What the engine writes for one detection: the alert, its order and the announcements. */
function commitDetection(store: Store, n: number): number[] {
  return store.transaction(() => {
    store.alerts.save(makeAlert({ id: `alert-${n}`, openedAt: T0 + n }));
    store.orders.save(makeOrder({ id: `order-${n}`, alertId: `alert-${n}`, createdAt: T0 + n }));
    return [
      store.outbox.append({ topic: `rw/alerts/orange/elderly-no-water`, payload: `{"alert":${n}}`, qos: 1 }, T0 + n),
      store.outbox.append({ topic: `rw/orders/community/order-${n}`, payload: `{"order":${n}}`, qos: 1, orderingKey: `order-${n}` }, T0 + n),
    ];
  });
}

describe('Store', () => {
  const dir = useTempDir('rw-store-');

  it('opens <dataDir>/riskwatch.db by default, or the file name given', () => {
    const a = openStore(join(dir(), 'data'));
    const b = openStore(dir(), 'other.db');
    a.close();
    b.close();
    expect(existsSync(join(dir(), 'data', 'riskwatch.db'))).toBe(true);
    expect(existsSync(join(dir(), 'other.db'))).toBe(true);
    expect(a.isOpen).toBe(false);
    a.close(); // idempotent
  });

  it('commits alert, order and outbox rows of one transaction together', () => {
    const store = openStore(dir());
    try {
      const outboxIds = commitDetection(store, 1);
      expect(store.alerts.get('alert-1')).toBeDefined();
      expect(store.orders.findByAlert('alert-1')?.id).toBe('order-1');
      expect(store.outbox.pending(10).map((e) => e.id)).toEqual(outboxIds);
    } finally {
      store.close();
    }
  });

  it('rolls back every write of a transaction that throws, and rethrows', () => {
    const store = openStore(dir());
    try {
      commitDetection(store, 1);
      const failure = new Error('publish policy failed');
      expect(() => store.transaction(() => {
        store.alerts.save(makeAlert({ id: 'alert-2' }));
        store.orders.save(makeOrder({ id: 'order-2', alertId: 'alert-2' }));
        store.outbox.append({ topic: 't', payload: 'p', qos: 1 }, T0);
        throw failure;
      })).toThrow(failure);
      expect(store.alerts.get('alert-2')).toBeUndefined();
      expect(store.orders.get('order-2')).toBeUndefined();
      expect(store.outbox.countPending()).toBe(2);
    } finally {
      store.close();
    }
  });

  it('a nested transaction that throws rolls back only its own writes', () => {
    const store = openStore(dir());
    try {
      store.transaction(() => {
        store.alerts.save(makeAlert({ id: 'outer' }));
        try {
          store.transaction(() => {
            store.alerts.save(makeAlert({ id: 'inner' }));
            throw new Error('inner fails');
          });
        } catch {
          // the outer transaction goes on
        }
      });
      expect(store.alerts.get('outer')).toBeDefined();
      expect(store.alerts.get('inner')).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('reopening the file preserves alerts, orders and the outbox state', () => {
    const first = openStore(dir());
    const written = [1, 2, 3].map((n) => commitDetection(first, n)).flat();
    first.outbox.markDelivered(written[0], T0 + 100);
    first.outbox.markAttempt(written[1], T0 + 100, 'broker down');
    const alerts = first.alerts.list();
    const orders = first.orders.list();
    const pending = first.outbox.pending(100);
    const open = first.alerts.findOpen();
    first.close();

    const second = openStore(dir());
    try {
      expect(second.alerts.list()).toEqual(alerts);
      expect(second.orders.list()).toEqual(orders);
      expect(second.alerts.findOpen()).toEqual(open);
      expect(second.outbox.pending(100)).toEqual(pending);
      expect(pending.map((e) => e.id)).toEqual(written.slice(1));
      expect(pending[0]).toMatchObject({ attempts: 1, lastError: 'broker down' });
      expect(second.orders.get('order-2')).toEqual(makeOrder({ id: 'order-2', alertId: 'alert-2', createdAt: T0 + 2 }));
    } finally {
      second.close();
    }
  });

  it('the store works on an in-memory database too', () => {
    const store = new Store(openDatabase(':memory:'));
    commitDetection(store, 1);
    expect(store.alerts.list().total).toBe(1);
    store.close();
  });
});
