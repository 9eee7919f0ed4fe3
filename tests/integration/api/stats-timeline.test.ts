import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { StatsFigures } from '../../../src/contracts/stats.js';
import type { OrderTimeline } from '../../../src/contracts/timeline.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { makeAlert, makeOrder } from '../../helpers/store-fixtures.js';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { SqliteEngineApi } from './sqlite-engine-api.js';

const MIN = 60_000;
const H = 3_600_000;
/** 2026-09-30 08:00 in Shanghai. */
const T = Date.parse('2026-09-30T08:00:00+08:00');

/** What must never leave through these routes: the fixtures' resident and duty-official data. */
const PERSONAL = ['王奶奶', '13900000002', '110101194201010027', '阳光小区3栋2单元101', '李网格', '13800000001', 'member-zhang'];

const alerts: Alert[] = [
  makeAlert({
    id: 'a1', scenarioId: 'gas-leak', scenarioName: 'Gas leak', level: 'orange', openedAt: T, updatedAt: T,
    evidence: { readings: [{ deviceId: 'gd-1', ts: T - MIN, metrics: { gas_lel_pct: 12.5 } }], facts: {} },
    history: [{ at: T, type: 'opened', to: 'orange', summary: 'gas_lel_pct 12.5 ≥ orange condition (value >= 10)' }],
  }),
  makeAlert({ id: 'a2', scenarioId: 'elderly-no-water', level: 'yellow', openedAt: T + H, updatedAt: T + H, placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b' }),
  makeAlert({ id: 'a3', scenarioId: 'gas-leak', level: 'red', openedAt: T + 2 * H, updatedAt: T + 2 * H }),
];

const orders: DispatchOrder[] = [
  makeOrder({
    id: 'o1', alertId: 'a1', scenarioId: 'gas-leak', scenarioName: 'Gas leak', level: 'orange', status: 'resolved',
    createdAt: T, acceptedAt: T + 20 * MIN, resolvedAt: T + 3 * H,
    history: [
      { at: T, type: 'created', status: 'dispatched', tier: 'community', level: 'orange' },
      { at: T + 20 * MIN, type: 'status', status: 'accepted', note: '已联系王奶奶（13900000002）', by: 'member-zhang' },
      { at: T + 3 * H, type: 'status', status: 'resolved', note: '关阀通风，老人安好' },
    ],
  }),
  makeOrder({
    id: 'o2', alertId: 'a2', scenarioId: 'elderly-no-water', level: 'yellow', tier: 'grid', status: 'false_alarm',
    createdAt: T + H, acceptedAt: T + 2 * H, resolvedAt: T + 3 * H, placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b',
    history: [{ at: T + H, type: 'created', status: 'dispatched', tier: 'grid', level: 'yellow' }],
  }),
  makeOrder({ id: 'o3', alertId: 'a3', scenarioId: 'gas-leak', level: 'red', tier: 'street', status: 'dispatched', createdAt: T + 2 * H, overdueCount: 1 }),
];

const FIGURE_KEYS = [
  'alerts', 'orders', 'closed', 'closureRate', 'onTimeRate', 'timeToAccept', 'timeToResolve',
  'overdue', 'falseAlarms', 'falseAlarmRate', 'cancelled', 'open',
] satisfies Array<keyof StatsFigures>;

describe('GET /api/stats and GET /api/orders/:id/timeline over a SQLite-backed engine', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = createTempDir('rw-api-stats-');
    store = openStore(dir);
    store.transaction(() => {
      for (const a of alerts) store.alerts.save(a);
      for (const o of orders) store.orders.save(o);
    });
    const clock = new ManualScheduler(T + 4 * H);
    app = buildApp(new SqliteEngineApi(store, () => clock.now()));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    store.close();
    removeTempDir(dir);
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  describe('GET /api/stats', () => {
    it('answers every figure, nulls included (the serialiser drops nothing)', async () => {
      const res = await get('/api/stats');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        query: {},
        total: {
          alerts: 3, orders: 3, closed: 1, closureRate: 1 / 2, onTimeRate: 1,
          timeToAccept: { count: 2, median: 20 * MIN, p90: H }, timeToResolve: { count: 1, median: 3 * H, p90: 3 * H },
          overdue: 1, falseAlarms: 1, falseAlarmRate: 1 / 2, cancelled: 0, open: 1,
        },
      });
    });

    it('filters and groups, echoing the query as applied', async () => {
      const res = await get('/api/stats?level=yellow,red&groupBy=scenario&place=comm-a');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.query).toEqual({ level: ['yellow', 'red'], place: 'comm-a', groupBy: 'scenario' });
      expect(body.total).toMatchObject({ alerts: 1, orders: 1, open: 1, closureRate: 0, onTimeRate: null, falseAlarmRate: null });
      expect(body.groups).toHaveLength(1);
      expect(Object.keys(body.groups[0]).sort()).toEqual(['key', ...FIGURE_KEYS].sort());
      expect(body.groups[0]).toMatchObject({ key: 'gas-leak', orders: 1, timeToAccept: { count: 0, median: null, p90: null } });
    });

    it('takes from/to as epoch ms or RFC 3339, half-open', async () => {
      const byMs = (await get(`/api/stats?from=${T + H}&to=${T + 2 * H}`)).json();
      const byRfc = (await get('/api/stats?from=2026-09-30T09:00:00%2B08:00&to=2026-09-30T02:00:00Z')).json();
      expect(byMs.total).toMatchObject({ alerts: 1, orders: 1, falseAlarms: 1 });
      expect(byRfc.total).toEqual(byMs.total);
      expect(byRfc.query).toEqual({ from: T + H, to: T + 2 * H });
    });

    it('empty results are zero counts and null rates', async () => {
      const body = (await get('/api/stats?scenario=nothing-here&groupBy=grid')).json();
      expect(body.total).toMatchObject({ orders: 0, alerts: 0, closureRate: null, onTimeRate: null, falseAlarmRate: null });
      expect(body.groups).toEqual([]);
    });

    it.each([
      ['an unknown level', 'level=purple'],
      ['a bad level list', 'level=red,,orange'],
      ['an unknown grouping', 'groupBy=street'],
      ['an instant that is neither ms nor RFC 3339', 'from=yesterday'],
      ['an empty place', 'place='],
    ])('rejects %s with 400 ERR_VALIDATION', async (_what, qs) => {
      const res = await get(`/api/stats?${qs}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ERR_VALIDATION');
    });
  });

  describe('GET /api/orders/:id/timeline', () => {
    it('is Chinese by default, chronological, at local time, without personal data', async () => {
      const res = await get('/api/orders/o1/timeline');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.vary).toMatch(/Accept-Language/);
      const timeline = res.json() as OrderTimeline;
      expect(timeline).toMatchObject({ orderId: 'o1', lang: 'zh', timeZone: 'Asia/Shanghai' });
      expect(timeline.entries.map((e) => [e.time, e.kind, e.text])).toEqual([
        ['2026-09-30T07:59:00+08:00', 'reading', '设备 gd-1 读数：可燃气体浓度 12.5 %LEL'],
        ['2026-09-30T08:00:00+08:00', 'alert_opened', '「Gas leak」触发橙色预警：gas_lel_pct 12.5 ≥ orange condition (value >= 10)'],
        ['2026-09-30T08:00:00+08:00', 'dispatched', '橙色预警工单派至阳光社区（阳光社区居委会）；须于 2026-09-30 08:30 前响应，2026-10-01 08:00 前办结'],
        ['2026-09-30T08:20:00+08:00', 'accepted', '阳光社区 接单（处置反馈：已联系［已隐去］（［已隐去］））'],
        ['2026-09-30T11:00:00+08:00', 'resolved', '阳光社区 处置完毕（处置反馈：关阀通风，老人安好）'],
      ]);
      for (const value of PERSONAL) expect(res.body).not.toContain(value);
    });

    it('follows Accept-Language, and ?lang overrides it', async () => {
      const en = await get('/api/orders/o1/timeline', { 'accept-language': 'en-US,en;q=0.9,zh-CN;q=0.5' });
      expect(en.json().lang).toBe('en');
      expect(en.json().entries[3].text).toBe("阳光社区 accepted the order (handler's note: 已联系[redacted]（[redacted]）)");
      const zhPreferred = await get('/api/orders/o1/timeline', { 'accept-language': 'fr-FR, zh-TW;q=0.8, en;q=0.3' });
      expect(zhPreferred.json().lang).toBe('zh');
      const onlyOthers = await get('/api/orders/o1/timeline', { 'accept-language': 'fr, de;q=0.5' });
      expect(onlyOthers.json().lang).toBe('zh');
      const forced = await get('/api/orders/o1/timeline?lang=en', { 'accept-language': 'zh-CN' });
      expect(forced.json().lang).toBe('en');
      expect(forced.headers.vary).toBeUndefined();
      for (const res of [en, forced]) for (const value of PERSONAL) expect(res.body).not.toContain(value);
    });

    it('answers text/plain with one line per entry for ?format=text', async () => {
      const json = (await get('/api/orders/o1/timeline?lang=en')).json() as OrderTimeline;
      const res = await get('/api/orders/o1/timeline?lang=en&format=text');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      const lines = res.body.trimEnd().split('\n');
      expect(lines).toHaveLength(json.entries.length);
      expect(lines[2]).toBe(
        '2026-09-30 08:00 orange-level order dispatched to 阳光社区 (阳光社区居委会); respond by 2026-09-30 08:30, resolve by 2026-10-01 08:00');
      for (const value of PERSONAL) expect(res.body).not.toContain(value);
    });

    it('tells an order whose alert is gone from the order alone', async () => {
      store.db.prepare('DELETE FROM alerts WHERE id = ?').run('a2');
      const body = (await get('/api/orders/o2/timeline?lang=en')).json() as OrderTimeline;
      expect(body.entries.map((e) => e.kind)).toEqual(['dispatched']);
    });

    it('is 404 ERR_NOT_FOUND for an unknown order, in either format', async () => {
      for (const url of ['/api/orders/nope/timeline', '/api/orders/nope/timeline?format=text']) {
        const res = await get(url);
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('ERR_NOT_FOUND');
      }
    });

    it.each([
      ['an unknown language', 'lang=fr'],
      ['an unknown format', 'format=csv'],
    ])('rejects %s with 400 ERR_VALIDATION', async (_what, qs) => {
      const res = await get(`/api/orders/o1/timeline?${qs}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ERR_VALIDATION');
    });
  });
});
