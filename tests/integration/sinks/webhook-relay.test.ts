import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { cloudEvent } from '../../../src/sinks/cloud-event.js';
import { WebhookRelay, type WebhookOutbox, type WebhookRelayOptions } from '../../../src/sinks/webhook-relay.js';
import { verifyWebhook } from '../../../src/sinks/webhook-signature.js';
import type { OutboxEntry } from '../../../src/store/outbox-repository.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { T0 } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { WebhookReceiver, deferred, type Answer } from './webhook-receiver.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECOND = 1000;

interface DeliveryRow {
  attempts: number;
  delivered_at: number | null;
  dead_at: number | null;
  next_attempt_at: number | null;
  last_error: string | null;
}

describe('WebhookRelay against a real HTTP receiver', () => {
  const dir = useTempDir('rw-webhook-');
  let store: Store;
  let clock: ManualScheduler;
  const relays: WebhookRelay[] = [];
  const receivers: WebhookReceiver[] = [];

  beforeEach(() => {
    store = openStore(dir());
    clock = new ManualScheduler(T0);
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) {
      relay.stop();
      await relay.whenIdle();
    }
    for (const receiver of receivers.splice(0)) await receiver.close();
    store.close();
  });

  async function startReceiver(respond?: (r: { webhookId: string }) => Answer | Promise<Answer>, port?: number) {
    const receiver = await WebhookReceiver.start({
      // Checked on arrival, against the engine clock the relay signs with.
      verify: (headers, body) => verifyWebhook(SECRET, headers, body, Math.floor(clock.now() / SECOND)),
      ...(respond ? { respond } : {}),
      ...(port !== undefined ? { port } : {}),
    });
    receivers.push(receiver);
    return receiver;
  }

  function startRelay(url: string, options: Partial<WebhookRelayOptions> = {}): WebhookRelay {
    const relay = new WebhookRelay({
      outbox: store.outbox, url, sink: `webhook:${url}`, secret: SECRET, timeoutMs: 5 * SECOND, maxAttempts: 5,
      concurrency: 4, retryBaseMs: SECOND, retryMaxMs: 60 * SECOND, scheduler: clock, random: () => 0.5,
      ...options,
    });
    relays.push(relay);
    return relay;
  }

  /** An order event as the engine appends it for a webhook sink: CloudEvent payload, id `{orderId}:{version}`. */
  function appendEvent(url: string, orderId: string, version: number): number {
    const id = `${orderId}:${version}`;
    const payload = JSON.stringify(cloudEvent('riskwatch.order.created', id, orderId, clock.now(), { id: orderId, version }));
    return store.outbox.append({
      topic: `rw/orders/grid/${orderId}`, payload, qos: 1, orderingKey: orderId, sink: `webhook:${url}`, idempotencyKey: id,
    }, clock.now());
  }

  function row(id: number): DeliveryRow {
    return store.db.prepare('SELECT attempts, delivered_at, dead_at, next_attempt_at, last_error FROM outbox WHERE id = ?').get(id) as DeliveryRow;
  }

  /** Idempotency keys answered 2xx, per order, in arrival order. */
  function acceptedVersionsByOrder(receiver: WebhookReceiver): Record<string, number[]> {
    const byOrder: Record<string, number[]> = {};
    for (const r of receiver.accepted) {
      const [order, version] = r.webhookId.split(':');
      (byOrder[order!] ??= []).push(Number(version));
    }
    return byOrder;
  }

  it('delivers every event once, each order in version order, signed after Standard Webhooks', async () => {
    const receiver = await startReceiver();
    const relay = startRelay(receiver.url);
    const ids: number[] = [];
    for (let version = 1; version <= 3; version++) {
      for (const order of ['o-1', 'o-2', 'o-3']) ids.push(appendEvent(receiver.url, order, version));
    }
    const mqttId = store.outbox.append({ topic: 'rw/orders/grid/o-1', payload: '{}', qos: 1, orderingKey: 'o-1' }, T0);

    relay.kick();
    await relay.whenIdle();

    expect(receiver.requests).toHaveLength(9);
    expect(receiver.requests.every((r) => r.verified && !r.duplicate)).toBe(true);
    expect(acceptedVersionsByOrder(receiver)).toEqual({ 'o-1': [1, 2, 3], 'o-2': [1, 2, 3], 'o-3': [1, 2, 3] });
    expect(relay.delivered).toBe(9);
    expect(relay.failedAttempts).toBe(0);
    for (const id of ids) expect(row(id).delivered_at).toBe(T0);
    // The MQTT relay's entry is not this sink's business.
    expect(store.outbox.pending(10).map((e) => e.id)).toEqual([mqttId]);
    expect(store.outbox.countPendingBySink()).toEqual({ mqtt: 1 });

    const first = receiver.requests[0]!;
    const event = JSON.parse(first.body) as { id: string; specversion: string };
    expect(event.specversion).toBe('1.0');
    expect(first.webhookId).toBe(event.id);
    expect(first.idempotencyKey).toBe(event.id);
    expect(first.timestamp).toBe(String(T0 / SECOND));
    expect(first.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(first.contentType).toBe('application/cloudevents+json; charset=utf-8');
    // What a receiver with the wrong secret, or a tampered body, concludes.
    const now = Math.floor(clock.now() / SECOND);
    expect(verifyWebhook('whsec_' + Buffer.from('not the secret').toString('base64'), first.headers, first.body, now)).toBe(false);
    expect(verifyWebhook(SECRET, first.headers, first.body.replace('o-1', 'o-9'), now)).toBe(false);
    expect(verifyWebhook(SECRET, first.headers, first.body, now)).toBe(true);
  });

  it('retries through an outage with full-jitter exponential backoff on the engine clock, then delivers everything', async () => {
    let down = true;
    const receiver = await startReceiver(() => ({ status: down ? 500 : 204 }));
    // A recorded random sequence: each delay must be floor(r · min(max, base · 2^(n-1))).
    const randoms = [0.5, 0.9, 0.1, 0.75, 0.3, 0.6, 0.2, 0.99, 0.05, 0.4];
    let drawn = 0;
    const failures: OutboxEntry[] = [];
    const relay = startRelay(receiver.url, {
      retryBaseMs: SECOND, retryMaxMs: 6 * SECOND, maxAttempts: 10,
      random: () => randoms[drawn++ % randoms.length]!,
      onAttemptFailed: (entry) => failures.push(entry),
    });
    const a1 = appendEvent(receiver.url, 'o-a', 1);
    const b1 = appendEvent(receiver.url, 'o-b', 1);
    const a2 = appendEvent(receiver.url, 'o-a', 2);

    relay.kick();
    await relay.whenIdle();
    expect(receiver.requests.map((r) => r.webhookId)).toEqual(['o-a:1', 'o-b:1']); // o-a:2 waits behind o-a:1
    // One scheduled wake-up for the earliest retry, whatever the number of waiting entries.
    expect(clock.pendingCount).toBe(1);

    // Nothing goes early: a kick while everything waits for its retry time sends nothing.
    relay.kick();
    await relay.whenIdle();
    expect(receiver.requests).toHaveLength(2);

    // Four rounds of failure: advance to each entry's recorded retry time.
    for (let round = 1; round < 5; round++) {
      const before = receiver.requests.length;
      const next = Math.min(row(a1).next_attempt_at!, row(b1).next_attempt_at!);
      clock.advanceTo(next - 1);
      await relay.whenIdle();
      expect(receiver.requests.length).toBe(before);
      clock.advanceTo(Math.max(row(a1).next_attempt_at!, row(b1).next_attempt_at!));
      await relay.whenIdle();
      expect(receiver.requests.length).toBe(before + 2);
    }
    expect(receiver.requests.some((r) => r.webhookId === 'o-a:2')).toBe(false);
    expect(row(a1)).toMatchObject({ attempts: 5, delivered_at: null, last_error: 'webhook receiver answered HTTP 500' });

    // Every delay within its full-jitter bound, and exactly the injected fraction of it.
    expect(failures).toHaveLength(10);
    const attemptsSeen = new Map<number, number>();
    failures.forEach((entry, i) => {
      const attempt = (attemptsSeen.get(entry.id) ?? 0) + 1;
      attemptsSeen.set(entry.id, attempt);
      expect(entry.attempts).toBe(attempt);
      const ceiling = Math.min(6 * SECOND, SECOND * 2 ** (attempt - 1));
      const delay = entry.nextAttemptAt! - entry.lastAttemptAt!;
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
      expect(delay).toBe(Math.floor(randoms[i]! * ceiling));
    });

    // The receiver recovers: the waiting entries go at their retry time, o-a:2 right after o-a:1.
    down = false;
    clock.advanceTo(Math.max(row(a1).next_attempt_at!, row(b1).next_attempt_at!));
    await relay.whenIdle();
    expect(acceptedVersionsByOrder(receiver)).toEqual({ 'o-a': [1, 2], 'o-b': [1] });
    expect(row(a1)).toMatchObject({ attempts: 5 });
    expect(row(a1).delivered_at).not.toBeNull();
    expect(row(a2)).toMatchObject({ attempts: 0 });
    expect(row(a2).delivered_at).not.toBeNull();
    expect(relay.delivered).toBe(3);
    expect(relay.failedAttempts).toBe(10);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(clock.pendingCount).toBe(0);
  });

  it('honours Retry-After as the least delay', async () => {
    let answer: Answer = { status: 503, headers: { 'retry-after': '30' } };
    const receiver = await startReceiver(() => answer);
    const relay = startRelay(receiver.url, { random: () => 0 });
    const id = appendEvent(receiver.url, 'o-1', 1);
    relay.kick();
    await relay.whenIdle();
    expect(row(id).next_attempt_at).toBe(T0 + 30 * SECOND);
    answer = { status: 200 };
    clock.advanceBy(30 * SECOND - 1);
    await relay.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    clock.advanceBy(1);
    await relay.whenIdle();
    expect(row(id).delivered_at).toBe(T0 + 30 * SECOND);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const receiver = await startReceiver(() => ({ status: 307, headers: { location: '/elsewhere' } }));
    const relay = startRelay(receiver.url);
    const id = appendEvent(receiver.url, 'o-1', 1);
    relay.kick();
    await relay.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    expect(row(id)).toMatchObject({ attempts: 1, delivered_at: null, last_error: 'webhook receiver answered HTTP 307' });
  });

  it('sends entries without an ordering key independently, identified by their outbox id', async () => {
    const held: Array<(answer: Answer) => void> = [];
    const receiver = await startReceiver(() => {
      const answer = deferred<Answer>();
      held.push(answer.resolve);
      return answer.promise;
    });
    const relay = startRelay(receiver.url);
    const payload = JSON.stringify(cloudEvent('riskwatch.test', 'x', 'same-subject', T0, {}));
    const ids = [1, 2].map(() => store.outbox.append({ topic: 't', payload, qos: 1, sink: `webhook:${receiver.url}` }, T0));
    relay.kick();
    await receiver.until(() => receiver.open === 2); // both at once: nothing orders them
    for (const answer of held) answer({ status: 200 });
    await relay.whenIdle();
    expect(receiver.requests.map((r) => r.webhookId).sort()).toEqual(ids.map(String).sort());
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
  });

  it('picks up an entry revived elsewhere (another connection) on rescan()', async () => {
    let accept = false;
    const receiver = await startReceiver(() => ({ status: accept ? 200 : 500 }));
    const relay = startRelay(receiver.url, { maxAttempts: 1 });
    const id = appendEvent(receiver.url, 'o-1', 1);
    relay.kick();
    await relay.whenIdle();
    expect(relay.dead).toBe(1);

    accept = true;
    const elsewhere = openStore(dir()); // e.g. a maintenance process: its revivals are not counted here
    try {
      expect(elsewhere.outbox.revive(id)).toBe(true);
    } finally {
      elsewhere.close();
    }
    relay.rescan();
    await relay.whenIdle();
    expect(row(id).delivered_at).not.toBeNull();
    expect(receiver.requests).toHaveLength(2);
  });

  it('times out on a receiver that answers too late; the retry carries the same idempotency key and is recognised', async () => {
    const late = deferred<Answer>();
    let calls = 0;
    const receiver = await startReceiver(() => (calls++ === 0 ? late.promise : { status: 200 }));
    const relay = startRelay(receiver.url, { timeoutMs: 150 });
    const id = appendEvent(receiver.url, 'o-1', 1);

    relay.kick();
    await relay.whenIdle(); // the request times out after 150 ms of real time (a socket timeout)
    expect(row(id)).toMatchObject({ attempts: 1, delivered_at: null, last_error: 'webhook receiver did not answer within 150 ms' });
    expect(relay.failedAttempts).toBe(1);

    // The receiver finishes its work on the first copy after the sender gave up on it.
    late.resolve({ status: 200 });
    await receiver.until(() => receiver.processed.length === 1);

    clock.advanceTo(row(id).next_attempt_at!);
    await relay.whenIdle();
    expect(receiver.requests.map((r) => r.webhookId)).toEqual(['o-1:1', 'o-1:1']);
    expect(receiver.requests.map((r) => r.duplicate)).toEqual([false, true]);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(receiver.processed).toEqual(['o-1:1']); // processed once
    expect(row(id).delivered_at).toBe(row(id).next_attempt_at);
  });

  it('gives an event up after maxAttempts, lets its order and the others go on, and redelivers it once revived', async () => {
    let poisonAccepted = false;
    const receiver = await startReceiver((r) => ({ status: r.webhookId === 'o-bad:1' && !poisonAccepted ? 422 : 200 }));
    const dead: OutboxEntry[] = [];
    const relay = startRelay(receiver.url, { maxAttempts: 3, onDead: (entry) => dead.push(entry) });
    const bad1 = appendEvent(receiver.url, 'o-bad', 1);
    appendEvent(receiver.url, 'o-good', 1);
    const bad2 = appendEvent(receiver.url, 'o-bad', 2);
    appendEvent(receiver.url, 'o-good', 2);

    relay.kick();
    await relay.whenIdle();
    // o-bad:1 failing does not hold back another order.
    expect(acceptedVersionsByOrder(receiver)).toEqual({ 'o-good': [1, 2] });

    for (let attempt = 2; attempt <= 3; attempt++) {
      clock.advanceTo(row(bad1).next_attempt_at!);
      await relay.whenIdle();
    }
    expect(dead.map((e) => e.id)).toEqual([bad1]);
    expect(relay.dead).toBe(1);
    expect(row(bad1)).toMatchObject({ attempts: 3, delivered_at: null, next_attempt_at: null });
    expect(store.outbox.listDead(10)).toEqual([{
      id: bad1, sink: `webhook:${receiver.url}`, idempotencyKey: 'o-bad:1', orderingKey: 'o-bad', attempts: 3,
      createdAt: T0, deadAt: row(bad1).dead_at, lastError: 'webhook receiver answered HTTP 422',
    }]);
    // Its order's next event went as soon as it was given up.
    expect(acceptedVersionsByOrder(receiver)).toEqual({ 'o-good': [1, 2], 'o-bad': [2] });
    expect(row(bad2).delivered_at).toBe(row(bad1).dead_at);

    // The receiver is fixed; an operator redelivers the dead event.
    poisonAccepted = true;
    expect(store.outbox.revive(bad1)).toBe(true);
    relay.kick();
    await relay.whenIdle();
    expect(acceptedVersionsByOrder(receiver)).toEqual({ 'o-good': [1, 2], 'o-bad': [2, 1] });
    expect(row(bad1).delivered_at).not.toBeNull();
    expect(store.outbox.listDead(10)).toEqual([]);
    expect(receiver.requests.filter((r) => r.webhookId === 'o-bad:1')).toHaveLength(4);
  });

  it('dead-letters everything while the endpoint is gone for good, and delivers it when it is back and revived', async () => {
    const gone = await startReceiver();
    const port = gone.listeningPort;
    const url = gone.url;
    await gone.close();
    const relay = startRelay(url, { maxAttempts: 2 });
    const ids = [appendEvent(url, 'o-1', 1), appendEvent(url, 'o-1', 2), appendEvent(url, 'o-2', 1)];

    relay.kick();
    await relay.whenIdle();
    while (store.outbox.pendingForSink(`webhook:${url}`, 10).length > 0) {
      clock.advanceBy(60 * SECOND);
      await relay.whenIdle();
    }
    expect(relay.dead).toBe(3);
    expect(relay.failedAttempts).toBe(6);
    const listed = store.outbox.listDead(10, `webhook:${url}`);
    expect(listed.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(listed.every((d) => d.attempts === 2 && /^webhook receiver unreachable: .*ECONNREFUSED/.test(d.lastError!))).toBe(true);
    expect(store.outbox.listDead(10, 'webhook:http://elsewhere')).toEqual([]);

    const back = await startReceiver(undefined, port);
    for (const id of ids) expect(store.outbox.revive(id)).toBe(true);
    relay.kick();
    await relay.whenIdle();
    expect(acceptedVersionsByOrder(back)).toEqual({ 'o-1': [1, 2], 'o-2': [1] });
    expect(back.requests.every((r) => r.verified)).toBe(true);
    expect(store.outbox.listDead(10)).toEqual([]);
  });

  it('keeps at most `concurrency` requests in flight against a slow receiver, never two of one order', async () => {
    const held: Array<(answer: Answer) => void> = [];
    const receiver = await startReceiver(() => {
      const answer = deferred<Answer>();
      held.push(answer.resolve);
      return answer.promise;
    });
    const relay = startRelay(receiver.url, { concurrency: 3 });
    for (let version = 1; version <= 2; version++) {
      for (let order = 1; order <= 6; order++) appendEvent(receiver.url, `o-${order}`, version);
    }
    relay.kick();
    // Release one answer at a time, each once the relay has filled the freed slot again.
    for (let answered = 0; answered < 12; answered++) {
      const expectedOpen = Math.min(3, 12 - answered);
      await receiver.until(() => receiver.open === expectedOpen && receiver.requests.length === answered + expectedOpen);
      expect(relay.inFlight).toBeLessThanOrEqual(3);
      held[answered]!({ status: 200 });
    }
    await relay.whenIdle();
    expect(receiver.maxOpen).toBe(3);
    expect(receiver.sameOrderOverlap).toBe(false);
    expect(receiver.accepted).toHaveLength(12);
    const byOrder = acceptedVersionsByOrder(receiver);
    for (let order = 1; order <= 6; order++) expect(byOrder[`o-${order}`]).toEqual([1, 2]);
  });

  it('a second relay over the same database delivers what the first left pending, in flight included', async () => {
    const held: Array<(answer: Answer) => void> = [];
    let hold = true;
    const receiver = await startReceiver(() => {
      if (!hold) return { status: 200 };
      const answer = deferred<Answer>();
      held.push(answer.resolve);
      return answer.promise;
    });
    const first = startRelay(receiver.url);
    const ids = [appendEvent(receiver.url, 'o-1', 1), appendEvent(receiver.url, 'o-1', 2), appendEvent(receiver.url, 'o-2', 1)];
    first.kick();
    await receiver.until(() => receiver.open === 2);

    // The process dies with two requests in flight: nothing was recorded for them.
    first.stop();
    await first.whenIdle();
    await receiver.until(() => receiver.open === 0); // it saw the connections go
    for (const answer of held) answer({ status: 200 }); // and still processed the first copies
    await receiver.until(() => receiver.processed.length === 2 && receiver.open === 0);
    store.close();
    store = openStore(dir());
    for (const id of ids) expect(row(id)).toMatchObject({ attempts: 0, delivered_at: null });

    hold = false;
    const second = startRelay(receiver.url);
    second.kick();
    await second.whenIdle();
    expect(second.delivered).toBe(3);
    for (const id of ids) expect(row(id).delivered_at).not.toBeNull();
    const copies = receiver.requests.filter((r) => r.duplicate).map((r) => r.webhookId).sort();
    expect(copies).toEqual(['o-1:1', 'o-2:1']);
    expect(receiver.processed.sort()).toEqual(['o-1:1', 'o-1:2', 'o-2:1']);
    const afterRestart = receiver.requests.slice(2).map((r) => r.webhookId);
    expect(afterRestart.filter((id) => id.startsWith('o-1:'))).toEqual(['o-1:1', 'o-1:2']);
  });

  it('reads the backlog in pages, once, and does no work in the committing caller', async () => {
    const receiver = await startReceiver();
    const reads: number[] = [];
    const outbox = store.outbox;
    // The real repository, with the page reads counted.
    const counting: WebhookOutbox = {
      pendingForSink(sink, limit, afterId) {
        const page = outbox.pendingForSink(sink, limit, afterId);
        reads.push(page.length);
        return page;
      },
      pendingForKey: (...args) => outbox.pendingForKey(...args),
      findPending: (id) => outbox.findPending(id),
      markDelivered: (id, at) => outbox.markDelivered(id, at),
      markRetry: (...args) => outbox.markRetry(...args),
      markDead: (...args) => outbox.markDead(...args),
      get revivals() {
        return outbox.revivals;
      },
    };
    const relay = startRelay(receiver.url, { outbox: counting });
    store.transaction(() => {
      for (let order = 0; order < 300; order++) appendEvent(receiver.url, `o-${order}`, 1);
    });

    relay.kick();
    expect(reads).toEqual([]); // kick() returns before reading anything: the commit path stays short
    await relay.whenIdle();
    expect(relay.delivered).toBe(300);
    expect(Math.max(...reads)).toBeLessThanOrEqual(64);
    // Every row read once: no page re-read per delivery.
    expect(reads.reduce((a, b) => a + b, 0)).toBe(300);
  });
});
