import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import { GroupCommit, type CommitBudget, type PendingChange } from '../../../src/engine/group-commit.js';
import type { Sink } from '../../../src/contracts/sink.js';
import { cloudEvent } from '../../../src/sinks/cloud-event.js';
import { mqttMessages } from '../../../src/sinks/mqtt-sink.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

/** The MQTT sink's outbox rows, with no relay draining them: what a commit leaves for delivery. */
function outboxRows(store: Store): Sink {
  return {
    name: 'mqtt', accepts: new Set(['alerts', 'orders']),
    start: () => undefined, kick: () => undefined, stop: () => undefined, whenIdle: async () => undefined,
    committed: () => undefined, rolledBack: () => undefined,
    write: (announcement, at) => {
      for (const message of mqttMessages('rw', announcement)) store.outbox.append(message, at);
    },
  };
}

describe('group commit', () => {
  const dir = useTempDir('rw-group-');

  function setup(budget: Partial<CommitBudget> = {}, now: () => number = () => 1_000) {
    const store = openStore(dir());
    const committed: PendingChange[][] = [];
    const errors: Error[] = [];
    /** Continuations handed to yieldTo, run by the test: "the event loop had a turn". */
    const yielded: Array<() => void> = [];
    const commits = new GroupCommit({
      store, sinks: [outboxRows(store)], now, budget, yieldTo: (next) => yielded.push(next),
      onCommitted: (c) => {
        // Durable before announced: everything announced so far is in the store already.
        const announced = committed.flat().length + c.length;
        expect(store.outbox.countPending()).toBeGreaterThanOrEqual(announced);
        committed.push(c);
      },
      onError: (e) => errors.push(e),
    });
    return { store, commits, committed, errors, yielded };
  }

  const opened = (i: number, overrides: Parameters<typeof makeAlert>[0] = {}): PendingChange => {
    const alert = makeAlert({ id: `a${i}`, key: `k${i}`, ...overrides });
    return { event: { type: 'opened', alert, to: alert.level, at: i } };
  };

  it('commits a whole burst within its budget in one transaction at the end of the turn, in order, and announces only after', () => {
    const { store, commits, committed, yielded } = setup();
    for (let i = 0; i < 1_000; i++) {
      const alert = makeAlert({ id: `a${i}`, key: `k${i}` });
      commits.stage({ event: { type: 'opened', alert, to: alert.level, at: i }, update: { order: makeOrder({ id: `o${i}`, alertId: alert.id }), change: 'created' } });
    }
    expect(committed).toHaveLength(0);
    expect(store.outbox.countPending()).toBe(0); // nothing durable yet, so nothing announced
    expect(yielded).toHaveLength(1); // one commit scheduled for the end of the turn, whatever the burst
    yielded.shift()!();
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

  it('commits a storm in transactions of at most maxChanges, in staging order, handing the loop back between them', () => {
    const { store, commits, committed, yielded } = setup({ maxChanges: 100 });
    for (let i = 0; i < 1_000; i++) commits.stage(opened(i));
    yielded.shift()!();
    expect(committed.map((c) => c.length)).toEqual([100]); // the first transaction, then a yield
    expect(store.alerts.list({ limit: 0 }).total).toBe(100);
    expect(commits.backlog).toBe(900);
    expect(yielded).toHaveLength(1);
    while (yielded.length > 0) yielded.shift()!();
    expect(committed.map((c) => c.length)).toEqual(Array(10).fill(100));
    expect(committed.flat().map((c) => c.event!.alert.id)).toEqual(Array.from({ length: 1_000 }, (_, i) => `a${i}`));
    expect(store.outbox.pending(2_000).map((e) => JSON.parse(e.payload).data.id)).toEqual(Array.from({ length: 1_000 }, (_, i) => `a${i}`));
    expect(commits.hasStaged).toBe(false);
    store.close();
  });

  it('ends a transaction once it has spent maxMs of the clock', () => {
    let clock = 0;
    const { store, commits, committed, yielded } = setup({ maxChanges: 1_000, maxMs: 5 }, () => clock++);
    for (let i = 0; i < 20; i++) commits.stage(opened(i));
    while (yielded.length > 0) yielded.shift()!();
    // The clock moves 1 ms per reading: start, then one reading after each change.
    expect(committed.map((c) => c.length)).toEqual([5, 5, 5, 5]);
    store.close();
  });

  it('gives routine changes short slices of routineMs once no urgent change waits; urgent ones keep maxMs', () => {
    let clock = 0;
    const { store, commits, committed, yielded } = setup({ maxChanges: 1_000, maxMs: 5, routineMs: 2 }, () => clock++);
    const cleared = (i: number): PendingChange => {
      const alert = makeAlert({ id: `c${i}`, key: `c${i}`, status: 'cleared' });
      return { event: { type: 'cleared', alert, from: alert.level, at: i } };
    };
    for (let i = 0; i < 4; i++) commits.stage(cleared(i));
    for (let i = 0; i < 6; i++) commits.stage(opened(i));
    while (yielded.length > 0) yielded.shift()!();
    // Urgent first, 5 ms of them; then the last urgent one and a routine one within 2 ms; then
    // routine slices of 2 ms each (the clock moves 1 ms per reading).
    expect(committed.map((c) => c.map((change) => change.event!.alert.id))).toEqual([
      ['a0', 'a1', 'a2', 'a3', 'a4'], ['a5', 'c0'], ['c1', 'c2'], ['c3'],
    ]);
    store.close();
  });

  it('flush() commits everything staged at once, still in bounded transactions, and the pending turn then does nothing', () => {
    const { store, commits, committed, yielded } = setup({ maxChanges: 100 });
    for (let i = 0; i < 350; i++) commits.stage(opened(i));
    yielded.shift()!();
    expect(committed).toHaveLength(1);
    commits.flush();
    expect(committed.map((c) => c.length)).toEqual([100, 100, 100, 50]);
    expect(store.alerts.list({ limit: 0 }).total).toBe(350);
    yielded.shift()!();
    expect(committed).toHaveLength(4);
    // A change staged after a flush schedules its own commit.
    commits.stage(opened(999));
    expect(yielded).toHaveLength(1);
    yielded.shift()!();
    expect(committed).toHaveLength(5);
    expect(yielded).toHaveLength(0);
    store.close();
  });

  it('keeps a staged order visible until the transaction holding its newest version commits', () => {
    const { store, commits, yielded } = setup({ maxChanges: 2 });
    const v1 = makeOrder({ id: 'o1', alertId: 'a1', version: 1 });
    const v2 = { ...v1, version: 2 };
    commits.stage({ update: { order: v1, change: 'created' } });
    commits.stage(opened(1));
    commits.stage({ update: { order: v2, change: 'escalated' } });
    yielded.shift()!();
    expect(store.orders.get('o1')?.version).toBe(1); // the first transaction held version 1 only
    expect(commits.pendingOrder('o1')).toBe(v2);
    expect(commits.pendingOrderFor('a1')).toBe(v2);
    yielded.shift()!();
    expect(store.orders.get('o1')?.version).toBe(2);
    expect(commits.pendingOrder('o1')).toBeUndefined();
    expect(commits.pendingOrderFor('a1')).toBeUndefined();
    store.close();
  });

  it('drops and reports a failed transaction once, and commits the transactions before and after it', () => {
    const { store, commits, committed, errors } = setup({ maxChanges: 2 });
    commits.stage(opened(0));
    commits.stage(opened(1));
    commits.stage(opened(2));
    commits.stage(opened(3, { placeId: null as unknown as string })); // violates alerts.place_id NOT NULL
    commits.stage(opened(4));
    commits.flush();
    expect(errors).toHaveLength(1);
    expect(committed.flat().map((c) => c.event!.alert.id)).toEqual(['a0', 'a1', 'a4']);
    expect(store.alerts.get('a2')).toBeUndefined(); // rolled back with a3
    expect(store.alerts.get('a4')?.id).toBe('a4');
    expect(store.outbox.countPending()).toBe(3);
    store.close();
  });

  it('serialises an alert once: its row and its announcement carry the same JSON, the envelope as the package writes it', () => {
    const { store, commits } = setup();
    const change = opened(7);
    commits.stage(change);
    commits.flush();
    const alert = change.event!.alert;
    const [message] = store.outbox.pending(1);
    expect(message!.payload).toBe(JSON.stringify(cloudEvent('riskwatch.alert.opened', 'a7:1', 'a7', 7, alert)));
    expect(store.alerts.get('a7')).toEqual(alert);
    store.close();
  });

  it('commits transaction after transaction in one turn while the backlog is past maxBacklog', () => {
    const { store, commits, committed, yielded } = setup({ maxChanges: 10, maxBacklog: 25 });
    for (let i = 0; i < 100; i++) commits.stage(opened(i));
    yielded.shift()!();
    // One transaction, then more in the same turn until at most 25 wait; the rest in later turns.
    expect(committed.flat()).toHaveLength(80);
    expect(commits.backlog).toBe(20);
    while (yielded.length > 0) yielded.shift()!();
    expect(committed.flat().map((c) => c.event!.alert.id)).toEqual(Array.from({ length: 100 }, (_, i) => `a${i}`));
    store.close();
  });

  it('by default commits after the current turn of the event loop (setImmediate), not synchronously', async () => {
    const store = openStore(dir());
    const committed: PendingChange[][] = [];
    const commits = new GroupCommit({ store, sinks: [outboxRows(store)], now: () => 1_000, onCommitted: (c) => committed.push(c), onError: (e) => { throw e; } });
    commits.stage(opened(1));
    commits.stage(opened(2));
    await Promise.resolve();
    expect(committed).toHaveLength(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(committed.map((c) => c.length)).toEqual([2]);
    store.close();
  });
});
