import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { OutboxRelay } from '../../../src/sinks/mqtt-relay.js';
import { openStore } from '../../../src/store/store.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('outbox relay', () => {
  const dir = useTempDir('rw-relay-');

  function setup() {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(1_000);
    const published: string[] = [];
    const relay = new OutboxRelay({
      outbox: store.outbox,
      scheduler,
      retryBaseMs: 100,
      publish: async (topic, payload) => {
        published.push(`${topic} ${payload}`);
      },
    });
    return { store, scheduler, published, relay };
  }

  it('delivers committed entries in commit order and marks them delivered', async () => {
    const { store, published, relay } = setup();
    for (let i = 1; i <= 600; i++) store.outbox.append({ topic: `rw/orders/grid/o${i % 3}`, payload: `v${i}`, qos: 1 }, 1_000);
    relay.kick();
    await relay.whenIdle();
    expect(published).toHaveLength(600);
    expect(published.map((p) => p.split(' ')[1])).toEqual(Array.from({ length: 600 }, (_, i) => `v${i + 1}`));
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('keeps entries pending while the broker is unreachable, retries with backoff on the engine clock, loses nothing', async () => {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(1_000);
    const published: string[] = [];
    let down = true;
    const relay = new OutboxRelay({
      outbox: store.outbox, scheduler, retryBaseMs: 100,
      publish: async (topic, payload) => {
        if (down) throw new Error('broker unavailable');
        published.push(`${topic} ${payload}`);
      },
    });
    store.outbox.append({ topic: 'rw/orders/grid/a', payload: '1', qos: 1 }, 1_000);
    store.outbox.append({ topic: 'rw/orders/grid/a', payload: '2', qos: 1 }, 1_000);
    relay.kick();
    await relay.whenIdle();
    expect(store.outbox.countPending()).toBe(2);
    // Backoff 100 ms, then 200 ms, then 400 ms; the broker is back before the third retry.
    scheduler.advanceBy(99);
    await relay.whenIdle();
    expect(published).toEqual([]);
    scheduler.advanceBy(1);
    await relay.whenIdle();
    scheduler.advanceBy(200);
    await relay.whenIdle();
    expect(published).toEqual([]);
    down = false;
    scheduler.advanceBy(399);
    await relay.whenIdle();
    expect(published).toEqual([]);
    scheduler.advanceBy(1);
    await relay.whenIdle();
    expect(published).toEqual(['rw/orders/grid/a 1', 'rw/orders/grid/a 2']);
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('when one message is refused, what followed it is sent again after it: the newest version arrives last', async () => {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(0);
    const published: string[] = [];
    let refuseV1 = true;
    const relay = new OutboxRelay({
      outbox: store.outbox, scheduler, retryBaseMs: 100,
      publish: async (_topic, payload) => {
        if (payload === 'v1' && refuseV1) {
          refuseV1 = false;
          throw new Error('refused once');
        }
        published.push(payload);
      },
    });
    for (const v of ['v1', 'v2', 'v3']) store.outbox.append({ topic: 'rw/orders/grid/o', payload: v, qos: 1 }, 0);
    relay.kick();
    await relay.whenIdle();
    scheduler.advanceBy(100);
    await relay.whenIdle();
    expect(published).toEqual(['v2', 'v3', 'v1', 'v2', 'v3']);
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('a kick during a pass is not lost', async () => {
    const { store, published, relay } = setup();
    store.outbox.append({ topic: 't', payload: 'a', qos: 1 }, 1_000);
    relay.kick();
    store.outbox.append({ topic: 't', payload: 'b', qos: 1 }, 1_000);
    relay.kick();
    await relay.whenIdle();
    await relay.whenIdle();
    expect(published).toEqual(['t a', 't b']);
    store.close();
  });
});

describe('outbox relay fed by the group commit', () => {
  const dir = useTempDir('rw-relay-handover-');

  /** A relay whose table reads are counted, and a `commit` that appends rows and hands them over as the group commit does. */
  function setup(failFirst = 0) {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(1_000);
    const published: string[] = [];
    let reads = 0;
    let failures = failFirst;
    const outbox = {
      pending: (limit: number) => {
        reads++;
        return store.outbox.pending(limit);
      },
      markDeliveredMany: (ids: readonly number[], at: number) => store.outbox.markDeliveredMany(ids, at),
      markAttempt: (id: number, at: number, error: string) => store.outbox.markAttempt(id, at, error),
      pruneDelivered: (olderThan: number) => store.outbox.pruneDelivered(olderThan),
    };
    const relay = new OutboxRelay({
      outbox, scheduler, retryBaseMs: 100,
      publish: async (topic, payload) => {
        if (failures > 0) {
          failures--;
          throw new Error('broker refused');
        }
        published.push(payload);
      },
    });
    const commit = (...payloads: string[]) => {
      const entries = store.db.transaction(() => payloads.map((payload) => ({ id: store.outbox.append({ topic: 't', payload, qos: 1 }, 1_000), topic: 't', payload, qos: 1 as const, retain: false })))();
      relay.committed(entries);
    };
    return { store, scheduler, published, relay, commit, reads: () => reads };
  }

  it('publishes what was just committed from memory once it has caught up with the table: no read per order', async () => {
    const { store, published, relay, commit, reads } = setup();
    store.outbox.append({ topic: 't', payload: 'left by the previous run', qos: 1 }, 500);
    relay.kick(); // start: whatever the table holds
    await relay.whenIdle();
    const readsAtStart = reads();
    for (let i = 1; i <= 50; i++) {
      commit(`o${i}`);
      await relay.whenIdle();
    }
    expect(published).toEqual(['left by the previous run', ...Array.from({ length: 50 }, (_, i) => `o${i + 1}`)]);
    expect(reads()).toBe(readsAtStart);
    expect(store.outbox.countPending()).toBe(0); // whenIdle wrote the delivered marks
    store.close();
  });

  it('leaves delivered marks for a transaction to carry, and writes them itself on the engine clock when none comes', async () => {
    const { store, scheduler, relay, commit } = setup();
    relay.kick();
    await relay.whenIdle();
    commit('a', 'b');
    // Let the publish promises settle without whenIdle (which would write the marks).
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(store.outbox.countPending()).toBe(2); // published, marks waiting
    store.db.transaction(() => relay.writeMarks())(); // what the group commit does first in its transaction
    expect(store.outbox.countPending()).toBe(0);
    commit('c');
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(store.outbox.countPending()).toBe(1);
    scheduler.advanceBy(50);
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('entries handed over while the table is still being read go out once, in commit order', async () => {
    const { store, published, relay, commit } = setup();
    store.outbox.append({ topic: 't', payload: 'old', qos: 1 }, 500);
    relay.kick(); // reading the table…
    commit('new1'); // …while new entries are committed and handed over
    commit('new2');
    await relay.whenIdle();
    await relay.whenIdle();
    expect(published).toEqual(['old', 'new1', 'new2']);
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('after a refusal goes back to the table, so the refused entry and everything after it go out in order, once', async () => {
    const { store, scheduler, published, relay, commit } = setup(1);
    relay.kick();
    await relay.whenIdle();
    commit('x'); // refused
    await relay.whenIdle();
    commit('y'); // committed during the backoff: waits behind x
    await relay.whenIdle();
    expect(published).toEqual([]);
    scheduler.advanceBy(100);
    await relay.whenIdle();
    await relay.whenIdle();
    expect(published).toEqual(['x', 'y']);
    expect(store.outbox.countPending()).toBe(0);
    commit('z'); // caught up again
    await relay.whenIdle();
    expect(published).toEqual(['x', 'y', 'z']);
    store.close();
  });
});

describe('outbox retention', () => {
  const dir = useTempDir('rw-relay-prune-');

  it('deletes delivered entries once they are older than the retention', async () => {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(0);
    const relay = new OutboxRelay({ outbox: store.outbox, scheduler, retainDeliveredMs: 3_600_000, publish: async () => undefined });
    const payloads = () => store.db.prepare('SELECT payload FROM outbox ORDER BY id').pluck().all();
    store.outbox.append({ topic: 't', payload: 'old', qos: 1 }, 0);
    relay.kick();
    await relay.whenIdle();
    expect(payloads()).toEqual(['old']); // delivered, still within the retention

    scheduler.advanceTo(2 * 3_600_000);
    store.outbox.append({ topic: 't', payload: 'recent', qos: 1 }, scheduler.now());
    relay.kick();
    await relay.whenIdle();
    expect(payloads()).toEqual(['recent']); // 'old' was delivered two hours ago: gone
    relay.stop();
    store.close();
  });
});
