import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { OrderEventRecord } from '../../../src/contracts/engine-api.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { Tier } from '../../../src/contracts/registry.js';
import type { OrderChange } from '../../../src/dispatch/order-manager.js';
import { SSE_CONNECTION_DEFAULTS } from '../../../src/api/sse-stream.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { openSse, type SseClient, type SseMessage } from '../../helpers/sse-client.js';
import { T0, makeOrder } from '../../helpers/store-fixtures.js';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { SqliteEngineApi } from './sqlite-engine-api.js';

/** A place per tier, so filters have something to tell apart. */
const PLACES: Record<Tier, { placeId: string; gridId: string; communityId: string; streetId: string }> = {
  grid: { placeId: 'grid-a1', gridId: 'grid-a1', communityId: 'comm-a', streetId: 'street-x' },
  community: { placeId: 'grid-b1', gridId: 'grid-b1', communityId: 'comm-b', streetId: 'street-x' },
  street: { placeId: 'grid-c1', gridId: 'grid-c1', communityId: 'comm-c', streetId: 'street-y' },
};

describe('GET /api/orders/stream (real server, real SQLite)', () => {
  let dir: string;
  let store: Store;
  let engine: SqliteEngineApi;
  let app: FastifyInstance | undefined;
  let base: string;
  const clients: SseClient[] = [];
  const versions = new Map<string, number>();

  beforeEach(() => {
    dir = createTempDir('rw-sse-');
    store = openStore(dir);
    engine = new SqliteEngineApi(store, () => T0);
    versions.clear();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await app?.close();
    app = undefined;
    store.close();
    removeTempDir(dir);
  });

  async function startServer(logger?: ReturnType<typeof pino>): Promise<void> {
    app = buildApp(engine, logger ? { logger } : {});
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  async function connect(query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await openSse(`${base}/api/orders/stream${query}`, headers);
    clients.push(client);
    if (client.status === 200) await client.ready();
    return client;
  }

  /** The next version of an order, at `tier`. */
  function nextVersion(orderId: string, tier: Tier = 'grid', overrides: Partial<DispatchOrder> = {}): DispatchOrder {
    const version = (versions.get(orderId) ?? 0) + 1;
    versions.set(orderId, version);
    return makeOrder({
      id: orderId, version, tier, updatedAt: T0 + version * 1000, ...PLACES[tier],
      assignee: { tier, placeId: PLACES[tier].placeId, placeName: tier }, ...overrides,
    });
  }

  /** Commits `count` order versions round robin over `orders` (one transaction, then notified). */
  function publish(count: number, orders: readonly string[] = ['o1', 'o2', 'o3'], tier: Tier = 'grid'): OrderEventRecord[] {
    const changes: { order: DispatchOrder; change: OrderChange }[] = [];
    for (let i = 0; i < count; i++) {
      const order = nextVersion(orders[i % orders.length], tier);
      changes.push({ order, change: order.version === 1 ? 'created' : 'status' });
    }
    return engine.publishOrderEvents(changes);
  }

  const ids = (events: readonly SseMessage[]) => events.map((e) => Number(e.id));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('streams live events in order, each with its log id, CloudEvent type and the CloudEvent as data', async () => {
    await startServer();
    const client = await connect();
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-cache');
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.parser.retry).toBe(SSE_CONNECTION_DEFAULTS.retryMs);

    const published = publish(4, ['o1', 'o2']);
    const events = await client.waitFor(4);
    expect(ids(events)).toEqual(published.map((e) => e.id));
    expect(events.map((e) => e.event)).toEqual(['riskwatch.order.created', 'riskwatch.order.created', 'riskwatch.order.status', 'riskwatch.order.status']);
    expect(events.map((e) => e.data)).toEqual(published.map((e) => e.payload));
    const first = JSON.parse(events[0].data) as { specversion: string; id: string; type: string; data: DispatchOrder };
    expect(first).toMatchObject({ specversion: '1.0', id: 'o1:1', type: 'riskwatch.order.created', data: { id: 'o1', version: 1 } });
  });

  it('resumes with Last-Event-ID: exactly the missed events, then live, no duplicates', async () => {
    await startServer();
    const first = await connect();
    publish(5);
    expect(ids(await first.waitFor(5))).toEqual([1, 2, 3, 4, 5]);
    first.close();

    publish(4); // 6..9 while the client is away
    const again = await connect('', { 'Last-Event-ID': '3' });
    expect(ids(await again.waitFor(6))).toEqual([4, 5, 6, 7, 8, 9]);
    publish(2); // live again
    // Nothing else arrives before the last one: no duplicate from the history/live seam.
    expect(ids(await again.waitFor(8))).toEqual(range(4, 11));
    publish(1);
    await again.waitFor(9);
    expect(ids(again.events)).toEqual(range(4, 12));
  });

  it('loses and repeats nothing when orders change while a long history is being replayed, and keeps each order\'s versions in order', async () => {
    await startServer();
    const orders = Array.from({ length: 20 }, (_, i) => `o${i}`);
    publish(2000, orders);
    const client = await connect('?lastEventId=0');
    // Commit more at three points of the replay: as soon as the client sees it, in its middle and
    // near its end. (The first events may come in the chunk with the retry hint, before onEvent is set.)
    const triggers = [0, 1000, 1900];
    let publishedDuring = 0;
    client.onEvent = (_event, index) => {
      if (triggers.length > 0 && index >= triggers[0]) {
        triggers.shift();
        publish(25, orders);
        publishedDuring += 25;
      }
    };
    await client.waitFor(2000 + 75);
    expect(publishedDuring).toBe(75);
    publish(1, orders); // a sentinel: anything duplicated would arrive before it
    await client.waitFor(2076);
    expect(ids(client.events)).toEqual(range(1, 2076));

    const seen = new Map<string, number>();
    for (const event of client.events) {
      const { data } = JSON.parse(event.data) as { data: DispatchOrder };
      expect(data.version).toBe((seen.get(data.id) ?? 0) + 1);
      seen.set(data.id, data.version);
    }
  });

  it('accepts the resume point as ?lastEventId=, and the header wins over it', async () => {
    await startServer();
    publish(6);
    const byQuery = await connect('?lastEventId=2');
    expect(ids(await byQuery.waitFor(4))).toEqual([3, 4, 5, 6]);
    // An EventSource reconnecting keeps its URL (the first resume point) and sends the header.
    const byHeader = await connect('?lastEventId=1', { 'Last-Event-ID': '5' });
    publish(1);
    expect(ids(await byHeader.waitFor(2))).toEqual([6, 7]);
  });

  it('without a resume point starts live; ?lastEventId=0 replays the whole log', async () => {
    await startServer();
    publish(3);
    const live = await connect();
    const everything = await connect('?lastEventId=0');
    publish(1);
    expect(ids(await live.waitFor(1))).toEqual([4]);
    expect(ids(await everything.waitFor(4))).toEqual([1, 2, 3, 4]);
    publish(1);
    expect(ids(await live.waitFor(2))).toEqual([4, 5]);
  });

  it('replays the whole log to a client whose Last-Event-ID the log never reached (a replaced database)', async () => {
    await startServer();
    publish(3);
    const client = await connect('', { 'Last-Event-ID': '5000' });
    expect(ids(await client.waitFor(3))).toEqual([1, 2, 3]);
  });

  it('filters by tier and by place, in the history and live', async () => {
    await startServer();
    publish(2, ['g1'], 'grid'); // 1, 2
    publish(1, ['c1'], 'community'); // 3
    publish(1, ['g1'], 'community'); // 4: g1 escalated to the community
    publish(1, ['s1'], 'street'); // 5
    const community = await connect('?lastEventId=0&tier=community');
    const gridOrStreet = await connect('?lastEventId=0&tier=grid,street');
    const commB = await connect('?lastEventId=0&place=comm-b'); // community orders sit in comm-b
    const street = await connect('?tier=street'); // live only
    publish(1, ['c2'], 'community'); // 6
    publish(1, ['s2'], 'street'); // 7
    publish(1, ['g2'], 'grid'); // 8

    expect(ids(await community.waitFor(3))).toEqual([3, 4, 6]);
    expect(ids(await gridOrStreet.waitFor(5))).toEqual([1, 2, 5, 7, 8]);
    expect(ids(await commB.waitFor(3))).toEqual([3, 4, 6]);
    expect(ids(await street.waitFor(1))).toEqual([7]);
    // Sentinels the filters pass: nothing else slipped in before them.
    publish(1, ['c3'], 'community');
    publish(1, ['s3'], 'street');
    expect(ids(await community.waitFor(4))).toEqual([3, 4, 6, 9]);
    expect(ids(await street.waitFor(2))).toEqual([7, 10]);
  });

  it('rejects a malformed resume point or filter with 400 ERR_VALIDATION', async () => {
    await startServer();
    const cases: [string, Record<string, string>][] = [
      ['', { 'Last-Event-ID': 'abc' }], ['?lastEventId=-1', {}], ['?lastEventId=1e3', {}], ['?tier=district', {}],
    ];
    for (const [query, headers] of cases) {
      const res = await fetch(`${base}/api/orders/stream${query}`, { headers });
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('ERR_VALIDATION');
    }
    expect(engine.orderEventListenerCount).toBe(0);
  });

  it('unsubscribes when the client goes away', async () => {
    await startServer();
    const client = await connect();
    expect(engine.orderEventListenerCount).toBe(1);
    client.close();
    await new Promise<void>((resolve) => {
      // The server learns of the close through its socket: wait for the listener to go, event by event.
      const check = () => (engine.orderEventListenerCount === 0 ? resolve() : setImmediate(check));
      check();
    });
    publish(1); // nobody to write to: must not throw
    expect(engine.orderEventListenerCount).toBe(0);
  });

  it('closes a stream that cannot send an event without throwing into the engine\'s notification', async () => {
    await startServer();
    const client = await connect();
    const order = nextVersion('o1');
    // A type with a line break cannot be an SSE event name.
    expect(() => engine.publishOrderEvents([{ order, change: 'status\nevent: forged' as OrderChange }])).not.toThrow();
    await client.ended;
    expect(client.events).toEqual([]);
    expect(engine.orderEventListenerCount).toBe(0);
  });

  it('closing the server ends open streams instead of waiting for them', async () => {
    await startServer();
    const client = await connect();
    publish(1);
    await client.waitFor(1);
    await app!.close();
    app = undefined;
    await client.ended;
    expect(engine.orderEventListenerCount).toBe(0);
  });

  it('disconnects a client that stopped reading once its buffer bound is reached; it resumes from the log without loss', async () => {
    const lines: string[] = [];
    await startServer(pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }));
    const slow = await connect();
    slow.response.pause(); // stops reading: TCP windows fill, then the server's writes back up

    // ~6 KB per event (a long history): 3 000 events ≈ 18 MB, far beyond socket buffers + the 4 MiB bound.
    const history = Array.from({ length: 40 }, (_, i) => ({ at: T0 + i, type: 'status' as const, status: 'in_progress' as const, note: `visit ${i}: ${'checked the valve and the meter. '.repeat(3)}` }));
    const changes = Array.from({ length: 3000 }, (_, i) => ({ order: { ...nextVersion(`o${i % 10}`), history }, change: 'status' as const }));
    engine.publishOrderEvents(changes);

    // Overflow is decided while sending, synchronously: the stream is already gone.
    expect(engine.orderEventListenerCount).toBe(0);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => String(l.msg).includes('too slow'));
    expect(warning).toBeDefined();
    expect(warning!.maxBufferedBytes).toBe(SSE_CONNECTION_DEFAULTS.maxBufferedBytes);
    expect(warning!.peakQueuedBytes).toBeGreaterThan(0);
    expect(warning!.peakQueuedBytes).toBeLessThanOrEqual(SSE_CONNECTION_DEFAULTS.maxBufferedBytes);

    slow.response.resume();
    await slow.ended;
    const got = slow.events.length;
    expect(got).toBeLessThan(3000);
    expect(ids(slow.events)).toEqual(range(1, got));

    const resumed = await connect('', { 'Last-Event-ID': String(got) });
    expect(ids(await resumed.waitFor(3000 - got))).toEqual(range(got + 1, 3000));
  });
});
