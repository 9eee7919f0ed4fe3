import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/store.js';
import type { NewOrderEvent } from '../../../src/store/order-event-repository.js';
import { T0 } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const event = (n: number, overrides: Partial<NewOrderEvent> = {}): NewOrderEvent => ({
  orderId: `o-${n % 3}`,
  version: n,
  type: n === 1 ? 'riskwatch.order.created' : 'riskwatch.order.status',
  at: T0 + n * 1000,
  payload: JSON.stringify({ specversion: '1.0', id: `o-${n % 3}:${n}`, data: { note: '多字节 ✓', n } }),
  ...overrides,
});

describe('OrderEventRepository (real SQLite file)', () => {
  const dir = useTempDir('rw-order-events-');
  let store: Store | undefined;
  afterEach(() => store?.close());

  const open = () => (store = openStore(dir()));

  it('appends with consecutive ids and reads back every field, oldest first, after an id (exclusive), up to a limit', () => {
    const s = open();
    const ids = s.transaction(() => [1, 2, 3, 4, 5].map((n) => s.orderEvents.append(event(n))));
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    expect(s.orderEvents.after(0, 100)).toEqual([1, 2, 3, 4, 5].map((n) => ({ id: n, ...event(n) })));
    expect(s.orderEvents.after(2, 2).map((e) => e.id)).toEqual([3, 4]);
    expect(s.orderEvents.after(5, 10)).toEqual([]);
    expect(s.orderEvents.after(0, 0)).toEqual([]);
  });

  it('logs nothing from a rolled-back transaction, and the next id follows without a gap', () => {
    const s = open();
    s.orderEvents.append(event(1));
    expect(() => s.transaction(() => {
      s.orderEvents.append(event(2));
      throw new Error('the order save failed');
    })).toThrow('the order save failed');
    expect(s.orderEvents.after(0, 10).map((e) => e.id)).toEqual([1]);
    expect(s.orderEvents.latestId()).toBe(1);
    // A stream waiting for id 2 must get it: a gap would look like pruned history.
    expect(s.orderEvents.append(event(3))).toBe(2);
  });

  it('latestId is 0 when empty, then the highest id ever assigned, even after pruning removed it', () => {
    const s = open();
    expect(s.orderEvents.latestId()).toBe(0);
    for (const n of [1, 2, 3]) s.orderEvents.append(event(n));
    expect(s.orderEvents.latestId()).toBe(3);
    expect(s.orderEvents.pruneOlderThan(T0 + 10_000)).toBe(3);
    expect(s.orderEvents.after(0, 10)).toEqual([]);
    expect(s.orderEvents.latestId()).toBe(3);
    // Ids are never reused: a client holding Last-Event-ID 3 must not skip a new event 1.
    expect(s.orderEvents.append(event(4))).toBe(4);
  });

  it('pruneOlderThan deletes events strictly before the instant and keeps the rest in order', () => {
    const s = open();
    for (const n of [1, 2, 3, 4]) s.orderEvents.append(event(n));
    expect(s.orderEvents.pruneOlderThan(T0 + 3000)).toBe(2);
    expect(s.orderEvents.after(0, 10).map((e) => [e.id, e.at])).toEqual([[3, T0 + 3000], [4, T0 + 4000]]);
    expect(s.orderEvents.pruneOlderThan(T0 + 3000)).toBe(0);
  });

  it('keeps the log across a reopen of the file', () => {
    const s = open();
    for (const n of [1, 2]) s.orderEvents.append(event(n));
    s.close();
    const reopened = open();
    expect(reopened.orderEvents.after(0, 10)).toEqual([1, 2].map((n) => ({ id: n, ...event(n) })));
    expect(reopened.orderEvents.append(event(3))).toBe(3);
  });
});
