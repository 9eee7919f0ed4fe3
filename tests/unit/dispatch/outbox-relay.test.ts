import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { OutboxRelay } from '../../../src/dispatch/outbox-relay.js';
import { openStore } from '../../../src/store/store.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('outbox relay', () => {
  const dir = useTempDir('rw-relay-');

  function setup(failFirst: number) {
    const store = openStore(dir());
    const scheduler = new ManualScheduler(1_000);
    const published: string[] = [];
    let failures = failFirst;
    const relay = new OutboxRelay({
      outbox: store.outbox,
      scheduler,
      retryBaseMs: 100,
      publish: async (topic, payload) => {
        if (failures > 0) {
          failures--;
          throw new Error('broker unavailable');
        }
        published.push(`${topic} ${payload}`);
      },
    });
    return { store, scheduler, published, relay };
  }

  it('delivers committed entries in commit order and marks them delivered', async () => {
    const { store, published, relay } = setup(0);
    for (let i = 1; i <= 600; i++) store.outbox.append({ topic: `rw/orders/grid/o${i % 3}`, payload: `v${i}`, qos: 1 }, 1_000);
    relay.kick();
    await relay.whenIdle();
    expect(published).toHaveLength(600);
    expect(published.map((p) => p.split(' ')[1])).toEqual(Array.from({ length: 600 }, (_, i) => `v${i + 1}`));
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('keeps entries pending while the broker refuses, retries with backoff on the engine clock, loses nothing', async () => {
    const { store, scheduler, published, relay } = setup(3);
    store.outbox.append({ topic: 'rw/orders/grid/a', payload: '1', qos: 1 }, 1_000);
    store.outbox.append({ topic: 'rw/orders/grid/a', payload: '2', qos: 1 }, 1_000);
    relay.kick();
    await relay.whenIdle();
    expect(published).toEqual([]);
    expect(store.outbox.countPending()).toBe(2);
    // Backoff 100 ms, then 200 ms, then 400 ms: the third retry succeeds.
    scheduler.advanceBy(99);
    await relay.whenIdle();
    expect(published).toEqual([]);
    scheduler.advanceBy(1);
    await relay.whenIdle();
    scheduler.advanceBy(200);
    await relay.whenIdle();
    expect(published).toEqual([]);
    scheduler.advanceBy(400);
    await relay.whenIdle();
    expect(published).toEqual(['rw/orders/grid/a 1', 'rw/orders/grid/a 2']);
    expect(store.outbox.countPending()).toBe(0);
    store.close();
  });

  it('a kick during a pass is not lost', async () => {
    const { store, published, relay } = setup(0);
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
