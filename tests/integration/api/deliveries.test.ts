import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { cloudEvent } from '../../../src/sinks/cloud-event.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { T0, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { SqliteEngineApi } from './sqlite-engine-api.js';

const HOOK = 'webhook:https://dispatch.example/hooks/orders';

describe('dead deliveries over HTTP', () => {
  const dir = useTempDir('rw-api-deliveries-');
  let store: Store;
  let app: FastifyInstance;
  let ids: { dead1: number; dead2: number; pending: number; delivered: number };

  beforeEach(async () => {
    store = openStore(dir());
    const clock = new ManualScheduler(T0);
    // The order carries the resident's contact: it must not come back from this API.
    const order = makeOrder({ id: 'o-1' });
    const append = (version: number) => store.outbox.append({
      topic: 'rw/orders/grid/o-1', payload: JSON.stringify(cloudEvent('riskwatch.order.created', `o-1:${version}`, 'o-1', T0, order)),
      qos: 1, orderingKey: 'o-1', sink: HOOK, idempotencyKey: `o-1:${version}`,
    }, T0);
    ids = { dead1: append(1), dead2: append(2), pending: append(3), delivered: append(4) };
    store.outbox.markRetry(ids.dead1, T0 + 1_000, 'webhook receiver answered HTTP 500', T0 + 2_000);
    store.outbox.markDead(ids.dead1, T0 + 2_000, 'webhook receiver answered HTTP 500');
    store.outbox.markDead(ids.dead2, T0 + 3_000, 'webhook receiver unreachable: connect ECONNREFUSED 10.0.0.7:443');
    store.outbox.markDelivered(ids.delivered, T0 + 4_000);
    app = buildApp(new SqliteEngineApi(store, () => clock.now()));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    store.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const redeliver = (id: number | string) => app.inject({ method: 'POST', url: `/api/deliveries/${id}/redeliver` });

  it('lists dead deliveries, most recently given up first, without topic or payload', async () => {
    const res = await get('/api/deliveries/dead');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      limit: 50,
      items: [
        { id: ids.dead2, sink: HOOK, idempotencyKey: 'o-1:2', orderingKey: 'o-1', attempts: 1, createdAt: T0, deadAt: T0 + 3_000,
          lastError: 'webhook receiver unreachable: connect ECONNREFUSED 10.0.0.7:443' },
        { id: ids.dead1, sink: HOOK, idempotencyKey: 'o-1:1', orderingKey: 'o-1', attempts: 2, createdAt: T0, deadAt: T0 + 2_000,
          lastError: 'webhook receiver answered HTTP 500' },
      ],
    });
    for (const personal of ['王奶奶', '13900000002', '阳光小区', '110101194201010027']) expect(res.body).not.toContain(personal);
  });

  it('honours limit and rejects one out of range', async () => {
    const res = await get('/api/deliveries/dead?limit=1');
    expect(res.json()).toMatchObject({ limit: 1, items: [{ id: ids.dead2 }] });
    for (const limit of ['0', '501', 'ten']) {
      const bad = await get(`/api/deliveries/dead?limit=${limit}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('ERR_VALIDATION');
    }
  });

  it('redelivers a dead entry: 204, back in its sink’s queue with fresh attempts, no longer listed', async () => {
    const res = await redeliver(ids.dead1);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(store.outbox.findPending(ids.dead1)).toMatchObject({ attempts: 0, sink: HOOK });
    expect(store.outbox.pendingForSink(HOOK, 10).map((e) => e.id)).toEqual([ids.dead1, ids.pending]);
    expect((await get('/api/deliveries/dead')).json().items.map((d: { id: number }) => d.id)).toEqual([ids.dead2]);
  });

  it('answers 404 ERR_NOT_FOUND for an entry that is not dead: twice redelivered, pending, delivered or unknown', async () => {
    expect((await redeliver(ids.dead1)).statusCode).toBe(204);
    for (const id of [ids.dead1, ids.pending, ids.delivered, 9999]) {
      const res = await redeliver(id);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 'ERR_NOT_FOUND', message: `dead delivery ${id} not found` });
    }
  });

  it('rejects an id that is not a positive whole number', async () => {
    for (const id of ['abc', '0', '-1', '1.5']) {
      const res = await redeliver(id);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ERR_VALIDATION');
    }
  });
});
