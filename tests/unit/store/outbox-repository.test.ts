import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import { OutboxRepository } from '../../../src/store/outbox-repository.js';
import { T0 } from '../../helpers/store-fixtures.js';

describe('OutboxRepository', () => {
  let db: Database;
  let outbox: OutboxRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    outbox = new OutboxRepository(db);
  });
  afterEach(() => closeDatabase(db));

  const message = (n: number) => ({ topic: `rw/orders/grid/o-${n}`, payload: `{"n":${n}}`, qos: 1 as const });

  it('appends with increasing ids and returns pending entries in id order, up to the limit', () => {
    const ids = [1, 2, 3, 4].map((n) => outbox.append(message(n), T0 + n));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    expect(outbox.pending(10).map((e) => e.id)).toEqual(ids);
    expect(outbox.pending(2).map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(outbox.countPending()).toBe(4);
  });

  it('keeps every field of the message', () => {
    const id = outbox.append({ topic: 'rw/alerts/red/gas', payload: '{"a":1}', qos: 0, retain: true, orderingKey: 'alert-7' }, T0);
    const plain = outbox.append(message(1), T0 + 1);
    expect(outbox.pending(10)).toEqual([
      { id, topic: 'rw/alerts/red/gas', payload: '{"a":1}', qos: 0, retain: true, orderingKey: 'alert-7', createdAt: T0, attempts: 0 },
      { id: plain, topic: 'rw/orders/grid/o-1', payload: '{"n":1}', qos: 1, retain: false, createdAt: T0 + 1, attempts: 0 },
    ]);
  });

  it('markDelivered takes an entry out of pending, once', () => {
    const [a, b, c] = [1, 2, 3].map((n) => outbox.append(message(n), T0));
    expect(outbox.markDelivered(b, T0 + 10)).toBe(true);
    expect(outbox.markDelivered(b, T0 + 20)).toBe(false);
    expect(outbox.markDelivered(999, T0 + 20)).toBe(false);
    expect(outbox.pending(10).map((e) => e.id)).toEqual([a, c]);
    expect(outbox.countPending()).toBe(2);
  });

  it('markAttempt counts attempts and keeps the last error; the entry stays pending', () => {
    const id = outbox.append(message(1), T0);
    outbox.markAttempt(id, T0 + 100, 'broker not connected');
    outbox.markAttempt(id, T0 + 200, 'PUBACK timeout');
    const [entry] = outbox.pending(1);
    expect(entry).toMatchObject({ id, attempts: 2, lastAttemptAt: T0 + 200, lastError: 'PUBACK timeout' });
    outbox.markAttempt(id, T0 + 300, 'x'.repeat(5000));
    expect(outbox.pending(1)[0].lastError).toHaveLength(1000);
    expect(outbox.countPending()).toBe(1);
  });

  it('pruneDelivered deletes only delivered entries older than the bound', () => {
    const [a, b, c] = [1, 2, 3].map((n) => outbox.append(message(n), T0));
    outbox.markDelivered(a, T0 + 10);
    outbox.markDelivered(b, T0 + 50);
    expect(outbox.pruneDelivered(T0 + 50)).toBe(1); // a only: b was delivered at the bound
    expect(db.prepare('SELECT id FROM outbox ORDER BY id').pluck().all()).toEqual([b, c]);
    expect(outbox.pruneDelivered(T0 + 1000)).toBe(1);
    expect(outbox.pending(10).map((e) => e.id)).toEqual([c]);
  });

  it('never reuses an id, even after the table was emptied', () => {
    const first = outbox.append(message(1), T0);
    outbox.markDelivered(first, T0);
    outbox.pruneDelivered(T0 + 1);
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
    expect(outbox.append(message(2), T0 + 2)).toBeGreaterThan(first);
  });
});
