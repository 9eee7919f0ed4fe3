import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { OutboxRelay } from '../../../src/dispatch/outbox-relay.js';
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
