import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { fullOrder } from '../../helpers/full-order.js';
import { T0, makeOrder } from '../../helpers/store-fixtures.js';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { SqliteEngineApi } from './sqlite-engine-api.js';

/**
 * fastify serialises responses from the route's schema and drops what the schema does not declare:
 * an order must come back from the API exactly as stored, every optional field included.
 */
describe('orders through the API serialiser', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = createTempDir('rw-order-ser-');
    store = openStore(dir);
    app = buildApp(new SqliteEngineApi(store, () => T0));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    store.close();
    removeTempDir(dir);
  });

  it('GET /api/orders/{id} and GET /api/orders return an order with every optional field unchanged', async () => {
    const order = fullOrder({ id: 'full' });
    store.orders.save(order);
    const one = await app.inject({ method: 'GET', url: '/api/orders/full' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(order);
    const list = await app.inject({ method: 'GET', url: '/api/orders' });
    expect(list.json().items).toEqual([order]);
  });

  it('keeps both forms of an SLA deadline (a span and working days)', async () => {
    const spans = makeOrder({ id: 'spans', sla: { respondWithin: { workingDays: 1 }, resolveWithin: { ms: 7_200_000 }, warnAt: 0, remindEvery: 3_600_000 } });
    store.orders.save(spans);
    expect((await app.inject({ method: 'GET', url: '/api/orders/spans' })).json().sla).toEqual(spans.sla);
  });
});
