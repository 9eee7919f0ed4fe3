import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { InactivityScenario, ThresholdScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { T0, makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { SqliteEngineApi, type DeadLetterRecord } from './sqlite-engine-api.js';

const MIN = 60_000;

const gasLeak: ThresholdScenario = {
  id: 'gas-leak', name: 'Gas leak', category: 'gas', model: 'threshold',
  appliesTo: { deviceTypes: ['gas_detector'], when: 'subject.livingAlone' }, keyBy: 'device',
  alert: { cooldownMs: 600_000, flapping: { maxChanges: 6, windowMs: 3_600_000 } }, dispatch: true,
  metric: 'gas_lel_pct', levels: { red: 'value > 25', orange: 'value > 10' }, for: { orange: 30_000 }, maxGapMs: 3_600_000,
  reset: { orange: 'value < 8' }, source: 'rules/gas-leak.yaml',
};
const noWater: InactivityScenario = {
  id: 'elderly-no-water', name: 'No water use', category: 'elderly_care', model: 'inactivity',
  appliesTo: { deviceTypes: ['water_meter'] }, keyBy: 'subject',
  alert: { cooldownMs: 0, flapping: { maxChanges: 4, windowMs: 3_600_000 } }, dispatch: true,
  active: 'metrics.flow_lpm > 0.1', levels: { yellow: 28_800_000, orange: 43_200_000 },
  activeHours: { from: '06:00', to: '22:00' }, maxSilenceMs: 7_200_000,
};

const alerts: Alert[] = [
  makeAlert({ id: 'a0', level: 'blue', status: 'cleared', scenarioId: 'gas-leak', placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x' }),
  makeAlert({ id: 'a1', level: 'yellow', scenarioId: 'elderly-no-water', placeId: 'grid-a2', gridId: 'grid-a2', communityId: 'comm-a', streetId: 'street-x' }),
  makeAlert({ id: 'a2', level: 'orange', scenarioId: 'gas-leak', placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b', streetId: 'street-x' }),
  makeAlert({ id: 'a3', level: 'red', scenarioId: 'gas-leak', placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y' }),
].map((a, i) => ({ ...a, openedAt: T0 + i * 10 * MIN, updatedAt: T0 + i * 10 * MIN }));

const orders: DispatchOrder[] = [
  makeOrder({ id: 'o1', alertId: 'a1', level: 'yellow', tier: 'grid', scenarioId: 'elderly-no-water', status: 'dispatched',
    placeId: 'grid-a2', gridId: 'grid-a2', communityId: 'comm-a', streetId: 'street-x',
    assignee: { tier: 'grid', placeId: 'grid-a2', placeName: 'A2', person: '赵网格', phone: '13800000009' } }),
  makeOrder({ id: 'o2', alertId: 'a2', level: 'orange', tier: 'community', scenarioId: 'gas-leak', status: 'accepted',
    placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b', streetId: 'street-x',
    assignee: { tier: 'community', placeId: 'comm-b', placeName: 'B' } }),
  makeOrder({ id: 'o3', alertId: 'a3', level: 'red', tier: 'street', scenarioId: 'gas-leak', status: 'dispatched',
    placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y',
    assignee: { tier: 'street', placeId: 'street-z', placeName: 'Z' } }),
].map((o, i) => ({ ...o, createdAt: T0 + (i + 1) * 10 * MIN, updatedAt: T0 + (i + 1) * 10 * MIN }));

const deadLetters: DeadLetterRecord[] = [
  { reason: 'ERR_PAYLOAD_SCHEMA', topic: 'rw/telemetry/wm-1', receivedAt: T0 },
  { reason: 'ERR_DEVICE_UNKNOWN', topic: 'rw/telemetry/zz-9', receivedAt: T0 + 1 },
  { reason: 'ERR_PAYLOAD_SCHEMA', topic: 'rw/telemetry/wm-2', receivedAt: T0 + 2 },
  { reason: 'ERR_PAYLOAD_SCHEMA', topic: 'rw/telemetry/wm-3', receivedAt: T0 + 3 },
];

describe('HTTP API over a SQLite-backed engine', () => {
  let dir: string;
  let store: Store;
  let clock: ManualScheduler;
  let engine: SqliteEngineApi;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = createTempDir('rw-api-');
    store = openStore(dir);
    store.transaction(() => {
      for (const a of alerts) store.alerts.save(a);
      for (const o of orders) store.orders.save(o);
    });
    clock = new ManualScheduler(T0 + 60 * MIN);
    engine = new SqliteEngineApi(store, () => clock.now(), [gasLeak, noWater], deadLetters);
    app = buildApp(engine);
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    store.close();
    removeTempDir(dir);
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const patch = (id: string, payload: unknown) => app.inject({ method: 'PATCH', url: `/api/orders/${id}`, payload: payload as object });
  const ids = (body: { items: { id: string }[] }) => body.items.map((i) => i.id);

  describe('GET /health', () => {
    it('is 200 with the report while the engine is ok', async () => {
      const res = await get('/health');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: 'ok', uptimeMs: 1234, broker: { kind: 'embedded', connected: true }, counters: { outboxPending: 0, openAlerts: 3 },
      });
    });

    it('is 503 with the same report shape when degraded', async () => {
      engine.brokerConnected = false;
      const res = await get('/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'degraded', broker: { connected: false } });
    });
  });

  describe('alerts', () => {
    it('lists newest first with the whole alert objects and paging metadata', async () => {
      const res = await get('/api/alerts');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(ids(body)).toEqual(['a3', 'a2', 'a1', 'a0']);
      expect(body).toMatchObject({ total: 4, limit: 50, offset: 0 });
      // Nothing stripped by the response schema: nested evidence and history come back whole.
      expect(body.items[0]).toEqual(alerts[3]);
    });

    it('filters by level (comma-separated), status, scenario and place', async () => {
      expect(ids((await get('/api/alerts?level=red,blue')).json())).toEqual(['a3', 'a0']);
      expect(ids((await get('/api/alerts?status=cleared')).json())).toEqual(['a0']);
      expect(ids((await get('/api/alerts?scenario=gas-leak&status=open')).json())).toEqual(['a3', 'a2']);
      expect(ids((await get('/api/alerts?place=comm-a')).json())).toEqual(['a1', 'a0']);
      expect(ids((await get('/api/alerts?place=street-x&level=orange,yellow')).json())).toEqual(['a2', 'a1']);
    });

    it('filters openedAt by from/to as epoch ms or RFC 3339', async () => {
      expect(ids((await get(`/api/alerts?from=${T0 + 10 * MIN}&to=${T0 + 30 * MIN}`)).json())).toEqual(['a2', 'a1']);
      const from = new Date(T0 + 20 * MIN).toISOString();
      expect(ids((await get(`/api/alerts?from=${from}`)).json())).toEqual(['a3', 'a2']);
      // 08:10 in UTC+8 is 00:10 UTC, i.e. T0 - 7h50m: everything is after it.
      expect((await get('/api/alerts?to=2024-11-22T08:10:00%2B08:00')).json().total).toBe(0);
    });

    it('pages with limit and offset', async () => {
      const body = (await get('/api/alerts?limit=2&offset=1')).json();
      expect(ids(body)).toEqual(['a2', 'a1']);
      expect(body).toMatchObject({ total: 4, limit: 2, offset: 1 });
    });

    it.each([
      ['an unknown level', 'level=purple'],
      ['a bad list', 'level=red,,orange'],
      ['an unknown status', 'status=closed'],
      ['a limit above 500', 'limit=501'],
      ['a non-numeric limit', 'limit=ten'],
      ['a negative offset', 'offset=-1'],
      ['a time that is neither epoch ms nor RFC 3339', 'from=yesterday'],
      ['a date without a zone', 'from=2024-11-22T08:00:00'],
    ])('rejects %s with 400 ERR_VALIDATION', async (_what, qs) => {
      const res = await get(`/api/alerts?${qs}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ERR_VALIDATION');
    });

    it('GET /api/alerts/:id returns the alert, or 404 ERR_NOT_FOUND', async () => {
      const res = await get('/api/alerts/a2');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(alerts[2]);
      const missing = await get('/api/alerts/nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'ERR_NOT_FOUND' });
    });
  });

  describe('orders', () => {
    it('lists newest first, whole orders including the contact data dispatch needs', async () => {
      const body = (await get('/api/orders')).json();
      expect(ids(body)).toEqual(['o3', 'o2', 'o1']);
      expect(body.items[2]).toEqual(orders[0]);
      expect(body.items[2].subject.contact.phone).toBe('13900000002');
    });

    it('filters by level, status, scenario, tier and place (assignee place included), and pages', async () => {
      expect(ids((await get('/api/orders?level=red,yellow')).json())).toEqual(['o3', 'o1']);
      expect(ids((await get('/api/orders?status=accepted')).json())).toEqual(['o2']);
      expect(ids((await get('/api/orders?scenario=gas-leak')).json())).toEqual(['o3', 'o2']);
      expect(ids((await get('/api/orders?tier=grid,community')).json())).toEqual(['o2', 'o1']);
      expect(ids((await get('/api/orders?place=street-z')).json())).toEqual(['o3']);
      expect(ids((await get('/api/orders?place=street-x')).json())).toEqual(['o2', 'o1']);
      const page = (await get('/api/orders?limit=1&offset=2')).json();
      expect(page).toMatchObject({ total: 3, limit: 1, offset: 2 });
      expect(ids(page)).toEqual(['o1']);
      expect((await get('/api/orders?tier=district')).statusCode).toBe(400);
    });

    it('GET /api/orders/:id returns the order, or 404 ERR_NOT_FOUND', async () => {
      expect((await get('/api/orders/o2')).json()).toEqual(orders[1]);
      const missing = await get('/api/orders/nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('ERR_NOT_FOUND');
    });
  });

  describe('PATCH /api/orders/:id', () => {
    it('applies a status update, stores the new version and queues its announcement', async () => {
      clock.advanceBy(5 * MIN);
      const res = await patch('o1', { status: 'accepted', note: 'on my way', by: 'grid-a2-duty' });
      expect(res.statusCode).toBe(200);
      const order = res.json();
      expect(order).toMatchObject({ id: 'o1', status: 'accepted', version: 2, updatedAt: T0 + 65 * MIN });
      expect(order.history.at(-1)).toEqual({ at: T0 + 65 * MIN, type: 'status', status: 'accepted', note: 'on my way', by: 'grid-a2-duty' });
      expect(order.subject.contact).toEqual(orders[0].subject?.contact);

      expect((await get('/api/orders/o1')).json()).toEqual(order);
      const [announcement] = store.outbox.pending(10);
      expect(announcement).toMatchObject({ topic: 'rw/orders/grid/o1', qos: 1, orderingKey: 'o1' });
      expect(JSON.parse(announcement.payload)).toEqual(order);
    });

    it('is idempotent for a repeated identical update', async () => {
      const first = (await patch('o1', { status: 'accepted', by: 'grid-a2-duty' })).json();
      clock.advanceBy(MIN);
      const again = await patch('o1', { status: 'accepted', by: 'grid-a2-duty' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first);
      expect(store.outbox.countPending()).toBe(1);
    });

    it('answers 409 ERR_ORDER_TRANSITION for a transition the lifecycle forbids', async () => {
      const res = await patch('o1', { status: 'closed' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'ERR_ORDER_TRANSITION' });
      expect(store.orders.get('o1')?.status).toBe('dispatched');
    });

    it('answers 400 ERR_VALIDATION for a bad or engine-only status, a missing status or a bad body', async () => {
      for (const payload of [{ status: 'done' }, { status: 'escalated' }, { note: 'no status' }, { status: 7 }]) {
        const res = await patch('o1', payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().code).toBe('ERR_VALIDATION');
      }
      const malformed = await app.inject({
        method: 'PATCH', url: '/api/orders/o1', headers: { 'content-type': 'application/json' }, payload: '{"status":',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().code).toBe('ERR_VALIDATION');
      expect(store.orders.get('o1')?.version).toBe(1);
    });

    it('passes the engine\'s own ERR_VALIDATION through with its details', async () => {
      const res = await patch('o1', { status: 'false_alarm' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'note' } });
    });

    it('answers 404 ERR_NOT_FOUND for an unknown order', async () => {
      const res = await patch('nope', { status: 'accepted' });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('ERR_NOT_FOUND');
    });
  });

  it('GET /api/scenarios returns every scenario with its model-specific fields', async () => {
    const res = await get('/api/scenarios');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [gasLeak, noWater], total: 2 });
  });

  describe('GET /api/deadletters', () => {
    it('passes reason, limit and offset through to the engine', async () => {
      const res = await get('/api/deadletters?reason=ERR_PAYLOAD_SCHEMA&limit=1&offset=1');
      expect(res.statusCode).toBe(200);
      expect(engine.deadLetterQueries).toEqual([{ reason: 'ERR_PAYLOAD_SCHEMA', limit: 1, offset: 1 }]);
      expect(res.json()).toEqual({
        items: [deadLetters[2]], total: 3, counts: { ERR_PAYLOAD_SCHEMA: 3, ERR_DEVICE_UNKNOWN: 1 }, limit: 1, offset: 1,
      });
    });

    it('defaults to limit 50, offset 0 and no reason', async () => {
      const res = await get('/api/deadletters');
      expect(engine.deadLetterQueries).toEqual([{ limit: 50, offset: 0 }]);
      expect(res.json()).toMatchObject({ total: 4, limit: 50, offset: 0 });
      expect(res.json().items).toEqual(deadLetters);
    });
  });

  it('answers unknown routes with 404 ERR_NOT_FOUND', async () => {
    const res = await get('/api/nothing-here?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'ERR_NOT_FOUND', message: 'route GET /api/nothing-here not found' });
    expect((await app.inject({ method: 'DELETE', url: '/api/orders/o1' })).json().code).toBe('ERR_NOT_FOUND');
  });

  it('answers an unexpected failure with 500 ERR_INTERNAL and no internals', async () => {
    store.close(); // every repository call now throws better-sqlite3's own error
    const res = await get('/api/alerts');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 'ERR_INTERNAL', message: 'internal error' });
    expect(res.body).not.toMatch(/database|sqlite|connection/i);
  });
});

describe('request logging', () => {
  it('logs method, url and status but never bodies with personal data', async () => {
    const dir = createTempDir('rw-api-log-');
    const store = openStore(dir);
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const app = buildApp(new SqliteEngineApi(store, () => T0), { logger });
    try {
      store.orders.save(makeOrder({ id: 'o1' }));
      expect((await app.inject({ method: 'GET', url: '/api/orders/o1' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/orders' })).statusCode).toBe(200);
      const patched = await app.inject({
        method: 'PATCH', url: '/api/orders/o1', payload: { status: 'accepted', note: 'called 王奶奶 at 13900000002', by: 'grid-a1-duty' },
      });
      expect(patched.statusCode).toBe(200);

      const log = lines.join('');
      expect(log).toContain('/api/orders/o1');
      expect(lines.some((l) => JSON.parse(l).res?.statusCode === 200)).toBe(true);
      for (const personal of ['13900000002', '王奶奶', '110101194201010027', '阳光小区', '13800000001', '李网格']) {
        expect(log).not.toContain(personal);
      }
    } finally {
      await app.close();
      store.close();
      removeTempDir(dir);
    }
  });
});
