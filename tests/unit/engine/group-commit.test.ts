import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import { GroupCommit, type PendingChange } from '../../../src/engine/group-commit.js';
import { openStore } from '../../../src/store/store.js';
import { makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('group commit', () => {
  const dir = useTempDir('rw-group-');

  function setup() {
    const store = openStore(dir());
    const committed: PendingChange[][] = [];
    const errors: Error[] = [];
    const commits = new GroupCommit({ store, prefix: 'rw', now: () => 1_000, onCommitted: (c) => committed.push(c), onError: (e) => errors.push(e) });
    return { store, commits, committed, errors };
  }

  it('commits a whole burst in one transaction at the end of it, in order, and announces only after', async () => {
    const { store, commits, committed } = setup();
    for (let i = 0; i < 1_000; i++) {
      const alert = makeAlert({ id: `a${i}`, key: `k${i}` });
      commits.stage({ event: { type: 'opened', alert, to: alert.level, at: i }, update: { order: makeOrder({ id: `o${i}`, alertId: alert.id }), change: 'created' } });
    }
    expect(committed).toHaveLength(0);
    expect(store.outbox.countPending()).toBe(0); // nothing durable yet, so nothing announced
    await Promise.resolve();
    expect(committed).toHaveLength(1); // one transaction, one announcement pass
    expect(committed[0]!.map((c) => c.event!.alert.id)).toEqual(Array.from({ length: 1_000 }, (_, i) => `a${i}`));
    expect(store.outbox.countPending()).toBe(2_000);
    expect(store.orders.list({ limit: 1 }).total).toBe(1_000);
    store.close();
  });

  it('shows staged orders before they commit, so a second change in the burst updates the same order', () => {
    const { commits, store } = setup();
    const order = makeOrder({ id: 'o1', alertId: 'a1', version: 1 });
    commits.stage({ update: { order, change: 'created' } });
    expect(commits.pendingOrderFor('a1')).toBe(order);
    const next = { ...order, version: 2 };
    commits.stage({ update: { order: next, change: 'escalated' } });
    expect(commits.pendingOrderFor('a1')).toBe(next);
    commits.flush();
    expect(commits.pendingOrderFor('a1')).toBeUndefined();
    expect(store.orders.get('o1')?.version).toBe(2);
    store.close();
  });

  it('announces each change as it was when staged, even if the alert changes again in the burst', () => {
    const { commits, committed, store } = setup();
    const alert = makeAlert({ id: 'a1', level: 'orange' });
    const opened: AlertEvent = { type: 'opened', alert, to: 'orange', at: 1 };
    commits.stage({ event: opened });
    alert.level = 'red'; // the alert manager mutates its alert in place
    alert.history.push({ at: 2, type: 'escalated', from: 'orange', to: 'red', summary: 'up' });
    commits.stage({ event: { type: 'escalated', alert, from: 'orange', to: 'red', at: 2 } });
    commits.flush();
    expect(committed[0]!.map((c) => c.event!.alert.level)).toEqual(['orange', 'red']);
    const payloads = store.outbox.pending(10).map((e) => JSON.parse(e.payload).data.level);
    expect(payloads).toEqual(['orange', 'red']);
    expect(store.alerts.get('a1')?.level).toBe('red');
    store.close();
  });

  it('reports a failed transaction and announces nothing of it', () => {
    const { commits, committed, errors, store } = setup();
    store.close(); // the database is gone
    commits.stage({ update: { order: makeOrder(), change: 'created' } });
    commits.flush();
    expect(errors).toHaveLength(1);
    expect(committed).toHaveLength(0);
  });
});
