import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxRepository, type OutboxMessage } from '../../../src/store/outbox-repository.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { T0 } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const HOOK = 'webhook:https://dispatch.example/hooks';
const OTHER = 'webhook:https://backup.example/hooks';

describe('OutboxRepository: per-sink delivery state (webhooks)', () => {
  const dir = useTempDir('rw-outbox-sinks-');
  let store: Store;

  beforeEach(() => {
    store = openStore(dir());
  });
  afterEach(() => store.close());

  function event(orderId: string, version: number, sink = HOOK): OutboxMessage {
    return {
      topic: `rw/orders/grid/${orderId}`, payload: `{"id":"${orderId}:${version}"}`, qos: 1,
      orderingKey: orderId, sink, idempotencyKey: `${orderId}:${version}`,
    };
  }

  it('pendingForSink returns one sink’s pending entries oldest first, paged after an id, with their delivery state', () => {
    const a1 = store.outbox.append(event('o-a', 1), T0);
    const mqtt = store.outbox.append({ topic: 'rw/orders/grid/o-a', payload: '{}', qos: 1, orderingKey: 'o-a' }, T0);
    const other = store.outbox.append(event('o-a', 1, OTHER), T0);
    const b1 = store.outbox.append(event('o-b', 1), T0 + 1);
    const a2 = store.outbox.append(event('o-a', 2), T0 + 2);

    expect(store.outbox.pendingForSink(HOOK, 10)).toEqual([
      { id: a1, topic: 'rw/orders/grid/o-a', payload: '{"id":"o-a:1"}', qos: 1, retain: false, orderingKey: 'o-a', createdAt: T0,
        attempts: 0, sink: HOOK, idempotencyKey: 'o-a:1' },
      expect.objectContaining({ id: b1, idempotencyKey: 'o-b:1' }),
      expect.objectContaining({ id: a2, idempotencyKey: 'o-a:2' }),
    ]);
    expect(store.outbox.pendingForSink(HOOK, 2).map((e) => e.id)).toEqual([a1, b1]);
    expect(store.outbox.pendingForSink(HOOK, 10, b1).map((e) => e.id)).toEqual([a2]);
    expect(store.outbox.pendingForSink(OTHER, 10).map((e) => e.id)).toEqual([other]);
    // The MQTT relay's view is unchanged: MQTT entries only, in their old shape.
    expect(store.outbox.pending(10)).toEqual([
      { id: mqtt, topic: 'rw/orders/grid/o-a', payload: '{}', qos: 1, retain: false, orderingKey: 'o-a', createdAt: T0, attempts: 0 },
    ]);
    expect(store.outbox.countPendingBySink()).toEqual({ mqtt: 1, [HOOK]: 3, [OTHER]: 1 });
    expect(store.outbox.countPending()).toBe(5);
  });

  it('pendingForKey finds the next entries of one order within an id range', () => {
    const a1 = store.outbox.append(event('o-a', 1), T0);
    store.outbox.append(event('o-b', 1), T0);
    const a2 = store.outbox.append(event('o-a', 2), T0);
    store.outbox.append(event('o-a', 2, OTHER), T0);
    const a3 = store.outbox.append(event('o-a', 3), T0);
    const a4 = store.outbox.append(event('o-a', 4), T0);
    store.outbox.markDelivered(a1, T0 + 1);

    expect(store.outbox.pendingForKey(HOOK, 'o-a', 0, a4, 2).map((e) => e.id)).toEqual([a2, a3]);
    expect(store.outbox.pendingForKey(HOOK, 'o-a', a3, a4, 10).map((e) => e.id)).toEqual([a3, a4]);
    expect(store.outbox.pendingForKey(HOOK, 'o-a', 0, a3, 10).map((e) => e.id)).toEqual([a2, a3]);
    expect(store.outbox.pendingForKey(HOOK, 'o-c', 0, a4, 10)).toEqual([]);
  });

  it('markRetry counts the attempt and sets the next one; findPending reads the entry while it is pending', () => {
    const id = store.outbox.append(event('o-a', 1), T0);
    expect(store.outbox.markRetry(id, T0 + 100, 'webhook receiver answered HTTP 500', T0 + 1100)).toBe(true);
    expect(store.outbox.markRetry(id, T0 + 1100, 'x'.repeat(5000), T0 + 3100)).toBe(true);
    const entry = store.outbox.findPending(id)!;
    expect(entry).toMatchObject({ id, attempts: 2, lastAttemptAt: T0 + 1100, nextAttemptAt: T0 + 3100, sink: HOOK });
    expect(entry.lastError).toHaveLength(1000);
    expect(store.outbox.pendingForSink(HOOK, 1)[0]).toMatchObject({ attempts: 2, nextAttemptAt: T0 + 3100 });
    store.outbox.markDelivered(id, T0 + 3100);
    expect(store.outbox.findPending(id)).toBeUndefined();
    expect(store.outbox.markRetry(id, T0 + 4000, 'late', T0 + 5000)).toBe(false);
    expect(store.outbox.findPending(999)).toBeUndefined();
  });

  it('markDead takes an entry out of its sink’s queue and keeps it for listDead, newest first, per sink', () => {
    const a1 = store.outbox.append(event('o-a', 1), T0);
    const b1 = store.outbox.append(event('o-b', 1), T0 + 5);
    const c1 = store.outbox.append(event('o-c', 1, OTHER), T0 + 6);
    const unkeyed = store.outbox.append({ topic: 'rw/orders/grid/o-d', payload: '{}', qos: 1, sink: HOOK }, T0 + 7);
    store.outbox.markRetry(a1, T0 + 10, 'webhook receiver answered HTTP 503', T0 + 20);
    expect(store.outbox.markDead(a1, T0 + 20, 'webhook receiver answered HTTP 503')).toBe(true);
    expect(store.outbox.markDead(a1, T0 + 30, 'again')).toBe(false);
    store.outbox.markDead(c1, T0 + 40, 'webhook receiver unreachable: ECONNREFUSED');
    store.outbox.markDead(unkeyed, T0 + 50, 'webhook receiver did not answer within 10000 ms');

    expect(store.outbox.pendingForSink(HOOK, 10).map((e) => e.id)).toEqual([b1]);
    expect(store.outbox.countPendingBySink()).toEqual({ [HOOK]: 1 });
    expect(store.outbox.listDead(10)).toEqual([
      { id: unkeyed, sink: HOOK, attempts: 1, createdAt: T0 + 7, deadAt: T0 + 50, lastError: 'webhook receiver did not answer within 10000 ms' },
      { id: c1, sink: OTHER, idempotencyKey: 'o-c:1', orderingKey: 'o-c', attempts: 1, createdAt: T0 + 6, deadAt: T0 + 40,
        lastError: 'webhook receiver unreachable: ECONNREFUSED' },
      { id: a1, sink: HOOK, idempotencyKey: 'o-a:1', orderingKey: 'o-a', attempts: 2, createdAt: T0, deadAt: T0 + 20,
        lastError: 'webhook receiver answered HTTP 503' },
    ]);
    expect(store.outbox.listDead(1).map((d) => d.id)).toEqual([unkeyed]);
    expect(store.outbox.listDead(10, OTHER).map((d) => d.id)).toEqual([c1]);
    expect(store.outbox.listDead(10, HOOK).map((d) => d.id)).toEqual([unkeyed, a1]);
  });

  it('revive puts a dead entry back, due at once with fresh attempts, and counts it; anything else is refused', () => {
    const a1 = store.outbox.append(event('o-a', 1), T0);
    const b1 = store.outbox.append(event('o-b', 1), T0);
    store.outbox.markRetry(a1, T0 + 10, 'HTTP 500', T0 + 20);
    store.outbox.markDead(a1, T0 + 20, 'HTTP 500');
    expect(store.outbox.revivals).toBe(0);

    expect(store.outbox.revive(b1)).toBe(false); // pending, not dead
    expect(store.outbox.revive(999)).toBe(false);
    expect(store.outbox.revive(a1)).toBe(true);
    expect(store.outbox.revive(a1)).toBe(false); // no longer dead
    expect(store.outbox.revivals).toBe(1);
    expect(store.outbox.listDead(10)).toEqual([]);
    const entry = store.outbox.findPending(a1)!;
    expect(entry.attempts).toBe(0);
    expect(entry.nextAttemptAt).toBeUndefined();
    expect(entry.deadAt).toBeUndefined();
    expect(entry.lastError).toBe('HTTP 500'); // why it died, until the next attempt says otherwise
    expect(store.outbox.pendingForSink(HOOK, 10).map((e) => e.id)).toEqual([a1, b1]);

    // Another repository over the same database sees the row but counts only its own revivals.
    const elsewhere = new OutboxRepository(store.db);
    store.outbox.markDead(a1, T0 + 30, 'HTTP 500');
    expect(elsewhere.revive(a1)).toBe(true);
    expect(elsewhere.revivals).toBe(1);
    expect(store.outbox.revivals).toBe(1);
  });

  it('pruneDelivered deletes delivered entries of every sink and keeps dead ones', () => {
    const delivered = store.outbox.append(event('o-a', 1), T0);
    const dead = store.outbox.append(event('o-b', 1), T0);
    const mqtt = store.outbox.append({ topic: 't', payload: '{}', qos: 1 }, T0);
    store.outbox.markDelivered(delivered, T0 + 10);
    store.outbox.markDelivered(mqtt, T0 + 10);
    store.outbox.markDead(dead, T0 + 10, 'HTTP 410');

    expect(store.outbox.pruneDelivered(T0 + 1_000_000)).toBe(2);
    expect(store.outbox.listDead(10).map((d) => d.id)).toEqual([dead]);
    expect(store.outbox.revive(dead)).toBe(true);
  });

  it('survives a reopen: retry times, dead entries and their errors are durable', () => {
    const a1 = store.outbox.append(event('o-a', 1), T0);
    const b1 = store.outbox.append(event('o-b', 1), T0);
    store.outbox.markRetry(a1, T0 + 10, 'HTTP 502', T0 + 5000);
    store.outbox.markDead(b1, T0 + 20, 'HTTP 404');
    store.close();
    store = openStore(dir());
    expect(store.outbox.pendingForSink(HOOK, 10)).toEqual([expect.objectContaining({ id: a1, attempts: 1, nextAttemptAt: T0 + 5000 })]);
    expect(store.outbox.listDead(10)).toEqual([expect.objectContaining({ id: b1, deadAt: T0 + 20, lastError: 'HTTP 404' })]);
  });
});
