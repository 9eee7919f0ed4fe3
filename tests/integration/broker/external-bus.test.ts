import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../../src/broker/embedded-broker.js';
import { ExternalBus, type ExternalBusOptions } from '../../../src/broker/external-bus.js';
import { telemetryFilter, telemetryTopic } from '../../../src/core/topics.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { getFreePort } from '../../helpers/free-port.js';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto.js';
import { describeBus, mqttClient, subscriber, until, waitFor, within } from './describe-bus.js';

let mosquitto: Mosquitto;
beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(async () => {
  await mosquitto?.stop();
});

let seq = 0;
/** Every bus gets its own session on the shared broker. */
const uniqueClientId = (): string => `rw-test-${process.pid}-${++seq}`;

for (const protocolVersion of [4, 5] as const) {
  describeBus(`external mosquitto via mqtt.js, protocolVersion ${protocolVersion}`, async ({ onHandlerError }) => {
    const bus = new ExternalBus({ url: mosquitto.url, clientId: uniqueClientId(), protocolVersion, onHandlerError });
    return { bus, url: () => mosquitto.url, cleanup: () => bus.close() };
  });
}

/** Node keeps the TCP_NODELAY state of a socket under this internal symbol (Node 20). */
function noDelayOf(socket: Socket): boolean {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  if (!symbol) throw new Error('this Node version no longer exposes kSetNoDelay: update the check');
  return (socket as unknown as Record<symbol, boolean>)[symbol];
}

/**
 * A real TCP hop between the engine and mosquitto that the test can break: `cut()` drops every
 * connection and refuses new ones (a network outage), `freeze()` keeps the connections up but
 * forwards nothing (a stalled link: no PUBACK ever comes back), `restore()` ends either.
 */
interface TcpProxy {
  url: string;
  /** When each inbound connection arrived (performance.now()). */
  accepted: number[];
  cut(): void;
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const accepted: number[] = [];
  let refusing = false;
  let frozen = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((inbound) => {
    accepted.push(performance.now());
    track(inbound);
    if (refusing) {
      inbound.destroy();
      return;
    }
    const outbound = connectTcp({ port: targetPort, host: '127.0.0.1' });
    track(outbound);
    inbound.on('data', (chunk) => frozen || outbound.write(chunk));
    outbound.on('data', (chunk) => frozen || inbound.write(chunk));
    inbound.once('close', () => outbound.destroy());
    outbound.once('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    accepted,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    freeze() {
      frozen = true;
    },
    restore() {
      refusing = false;
      frozen = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('ExternalBus (mqtt.js 5 to a real mosquitto)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function newBus(options: Partial<ExternalBusOptions> = {}): ExternalBus {
    const bus = new ExternalBus({ url: mosquitto.url, clientId: uniqueClientId(), ...options });
    cleanups.push(() => bus.close());
    return bus;
  }

  async function device(url = mosquitto.url): Promise<MqttClient> {
    const client = await mqttClient(url);
    cleanups.push(() => client.endAsync(true));
    return client;
  }

  async function proxy(): Promise<TcpProxy> {
    const p = await startProxy(mosquitto.port);
    cleanups.push(() => p.close());
    return p;
  }

  it('sets TCP_NODELAY on its socket and reports connection health', async () => {
    const sockets: Socket[] = [];
    const bus = newBus({ onSocket: (s) => sockets.push(s) });
    expect(bus.connected).toBe(false);
    await bus.open();
    expect(bus.connected).toBe(true);
    expect(sockets).toHaveLength(1);
    expect(noDelayOf(sockets[0])).toBe(true);
    await bus.close();
    expect(bus.connected).toBe(false);
  });

  it.each([4, 5] as const)(
    'protocolVersion %i, clean: false: telemetry queued while the engine is down arrives after it restarts',
    async (protocolVersion) => {
      const clientId = uniqueClientId();
      const first = newBus({ clientId, protocolVersion });
      await first.open();
      await first.subscribe(telemetryFilter('rw'), () => {});
      await first.close();

      const meter = await device();
      for (let i = 0; i < 20; i++) await meter.publishAsync(telemetryTopic('rw', 'wm-9'), String(i), { qos: 1 });

      const second = newBus({ clientId, protocolVersion });
      await second.open();
      // The resumed session delivers right after CONNACK, before the new process subscribes: held.
      await until(() => second.unroutedHeld === 20, 'the queued backlog to arrive');
      const received: string[] = [];
      await second.subscribe(telemetryFilter('rw'), (_topic, payload) => received.push(payload.toString()));
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(second.unroutedHeld).toBe(0);
      expect(second.unroutedDropped).toBe(0);
    },
  );

  it('rides out a network outage: reconnects, receives what was queued, sends what it queued', async () => {
    const link = await proxy();
    const changes: boolean[] = [];
    const bus = newBus({ url: link.url, reconnect: { initialMs: 20, maxMs: 100 }, onConnectionChange: (c) => changes.push(c) });
    await bus.open();
    const received: string[] = [];
    await bus.subscribe(telemetryFilter('rw'), (_topic, payload) => received.push(payload.toString()));
    const watcher = await subscriber(mosquitto.url, 'rw/alerts/#');
    cleanups.push(() => watcher.client.endAsync(true));

    link.cut();
    await until(() => !bus.connected, 'the bus to notice the outage');
    const meter = await device();
    for (let i = 0; i < 10; i++) await meter.publishAsync(telemetryTopic('rw', 'gm-3'), String(i), { qos: 1 });
    let announced = false;
    const announcement = bus.publish('rw/alerts/red/gas-leak', 'during the outage', { qos: 1 }).then(() => {
      announced = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(announced).toBe(false); // no PUBACK without a connection

    link.restore();
    await within(announcement, 'the queued publish to be acknowledged');
    await waitFor(received, 10);
    expect(received).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    await waitFor(watcher.received, 1);
    expect(watcher.received[0].payload.toString()).toBe('during the outage');
    expect(changes).toEqual([true, false, true]);
    expect(bus.reconnectAttempts).toBe(0);
  });

  it('backs off: the wait between reconnect attempts doubles up to the maximum', async () => {
    const link = await proxy();
    const bus = newBus({ url: link.url, reconnect: { initialMs: 40, maxMs: 160 } });
    await bus.open();
    link.cut();
    const firstAttempt = link.accepted.length; // the original connection
    await until(() => link.accepted.length >= firstAttempt + 4, 'four reconnect attempts', 5_000);
    const times = link.accepted.slice(firstAttempt, firstAttempt + 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Timers never fire early; the upper bound only checks the cap (the next doubling would be 320).
    expect(gaps[0]).toBeGreaterThanOrEqual(75);
    expect(gaps[1]).toBeGreaterThanOrEqual(155);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect(gaps[2]).toBeLessThan(300);
    expect(bus.reconnectAttempts).toBeGreaterThanOrEqual(3);

    link.restore();
    await until(() => bus.connected, 'the reconnect');
    expect(bus.reconnectAttempts).toBe(0);
    expect(bus.reconnectDelayMs).toBe(40);
  });

  it('open() keeps retrying an unreachable broker until openTimeoutMs on the injected clock, then ERR_BUS_CONNECT', async () => {
    const scheduler = new ManualScheduler(0);
    const errors: Error[] = [];
    const deadPort = await getFreePort();
    const bus = newBus({
      url: `mqtt://127.0.0.1:${deadPort}`,
      scheduler,
      openTimeoutMs: 30_000,
      reconnect: { initialMs: 10, maxMs: 10 },
      onError: (err) => errors.push(err),
    });
    let settled = false;
    const opening = bus.open();
    opening.then(
      () => (settled = true),
      () => (settled = true),
    );
    await until(() => errors.length >= 3, 'several refused attempts');
    expect(errors.every((e) => (e as Error & { code?: string }).code === 'ECONNREFUSED')).toBe(true);
    expect(settled).toBe(false);

    scheduler.advanceBy(30_000);
    await expect(opening).rejects.toMatchObject({ code: 'ERR_BUS_CONNECT' });
    expect(bus.connected).toBe(false);
    const attemptsAfterFailure = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(errors.length).toBe(attemptsAfterFailure); // gave up: no more reconnects
  });

  it('rejects a URL mqtt.js cannot use with ERR_BUS_CONNECT', async () => {
    const scheduler = new ManualScheduler(0); // never advanced: the URL, not a timeout, ends open()
    const bus = newBus({ url: 'broker.example', scheduler }); // no protocol
    await expect(within(bus.open(), 'open() to fail')).rejects.toMatchObject({ code: 'ERR_BUS_CONNECT' });
  });

  it('clears its timers: nothing stays scheduled after open() and close()', async () => {
    const scheduler = new ManualScheduler(0);
    const bus = newBus({ scheduler });
    await bus.open();
    expect(scheduler.pendingCount).toBe(0);
    await bus.close();
    expect(scheduler.pendingCount).toBe(0);
  });

  it('close() on a stalled link gives up after closeTimeoutMs and rejects unacknowledged publishes with ERR_BUS_CLOSED', async () => {
    const link = await proxy();
    const scheduler = new ManualScheduler(0);
    const bus = newBus({ url: link.url, scheduler, closeTimeoutMs: 5_000 });
    await bus.open();
    link.freeze();
    const pending = bus.publish('rw/orders/grid/ord-1', '{}', { qos: 1 });
    pending.catch(() => {});
    let closed = false;
    const closing = bus.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false); // still waiting for the PUBACK

    scheduler.advanceBy(5_000);
    await within(closing, 'close() after the timeout');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_BUS_CLOSED' });
  });

  it('close() during an outage does not hang and rejects publishes queued for the reconnect', async () => {
    const link = await proxy();
    const bus = newBus({ url: link.url, reconnect: { initialMs: 20, maxMs: 20 } });
    await bus.open();
    link.cut();
    await until(() => !bus.connected, 'the outage');
    const pending = bus.publish('rw/alerts/red/x', 'x', { qos: 1 });
    pending.catch(() => {});
    await within(bus.close(), 'close()');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_BUS_CLOSED' });
  });

  it('rejects a subscription the broker refuses (SUBACK 0x80) with ERR_SUBSCRIBE_REFUSED', async () => {
    // mosquitto 2.0 grants ACL-denied subscriptions and filters at delivery, so the refusing
    // broker here is aedes over real TCP.
    const broker = await startEmbeddedBroker({
      port: 0,
      host: '127.0.0.1',
      aedes: { authorizeSubscribe: (_client, sub, done) => done(null, sub.topic.startsWith('secret/') ? null : sub) },
    });
    cleanups.push(() => broker.close());
    const bus = newBus({ url: `mqtt://127.0.0.1:${broker.port}` });
    await bus.open();
    const seen: string[] = [];
    await expect(bus.subscribe('secret/#', (t) => seen.push(t))).rejects.toMatchObject({ code: 'ERR_SUBSCRIBE_REFUSED' });
    await bus.subscribe('rw/#', (t) => seen.push(t));
    await bus.publish('secret/x', 'x', { qos: 1 });
    await bus.publish('rw/telemetry/a', 'x', { qos: 1 });
    await waitFor(seen, 1);
    expect(seen).toEqual(['rw/telemetry/a']);
  });

  describe('with credentials', () => {
    let secured: Mosquitto;
    beforeAll(async () => {
      secured = await startMosquitto({ users: { engine: 'engine-pw' } });
    });
    afterAll(async () => {
      await secured?.stop();
    });

    it('connects with username and password and works', async () => {
      const bus = newBus({ url: secured.url, username: 'engine', password: 'engine-pw' });
      await bus.open();
      const received: string[] = [];
      await bus.subscribe('rw/telemetry/+', (topic) => received.push(topic));
      await bus.publish('rw/telemetry/self', 'x', { qos: 1 });
      await waitFor(received, 1);
      expect(received).toEqual(['rw/telemetry/self']);
    });

    it('fails open() at once with ERR_BUS_CONNECT when the broker refuses the credentials', async () => {
      const scheduler = new ManualScheduler(0); // never advanced: the refusal, not a timeout, ends open()
      const bus = newBus({ url: secured.url, username: 'engine', password: 'wrong', scheduler });
      await expect(within(bus.open(), 'the CONNACK refusal')).rejects.toMatchObject({ code: 'ERR_BUS_CONNECT' });
      expect(scheduler.pendingCount).toBe(0);
    });
  });
});
