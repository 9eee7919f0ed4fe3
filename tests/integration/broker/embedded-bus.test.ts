import { connect as connectTcp, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { PublishDenial } from '../../../src/broker/broker-hooks.js';
import { EmbeddedBus } from '../../../src/broker/embedded-bus.js';
import { EMITTER_CONCURRENCY } from '../../../src/broker/embedded-broker.js';
import { DEFAULT_WINDOW } from '../../../src/sinks/mqtt-relay.js';
import { describeBus, mqttClient, until, waitFor, within } from './describe-bus.js';

describeBus('embedded aedes', async ({ onHandlerError }) => {
  const bus = new EmbeddedBus({ port: 0, host: '127.0.0.1', onHandlerError });
  return { bus, url: () => `mqtt://127.0.0.1:${bus.port}`, cleanup: () => bus.close() };
});

/** Node keeps the TCP_NODELAY state of a socket under this internal symbol (Node 20). */
function noDelayOf(socket: Socket): boolean {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  if (!symbol) throw new Error('this Node version no longer exposes kSetNoDelay: update the check');
  return (socket as unknown as Record<symbol, boolean>)[symbol];
}

function closed(client: MqttClient): Promise<void> {
  return within(new Promise((resolve) => client.once('close', () => resolve())), 'the broker to close the connection');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('EmbeddedBus (aedes over TCP)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function openBus(options: ConstructorParameters<typeof EmbeddedBus>[0] = {}): Promise<EmbeddedBus> {
    const bus = new EmbeddedBus({ port: 0, host: '127.0.0.1', ...options });
    cleanups.push(() => bus.close());
    await bus.open();
    return bus;
  }

  async function client(bus: EmbeddedBus, options: Parameters<typeof mqttClient>[1] = {}): Promise<MqttClient> {
    const c = await mqttClient(`mqtt://127.0.0.1:${bus.port}`, options);
    cleanups.push(() => c.endAsync(true));
    return c;
  }

  it('binds an ephemeral port for port 0 and reports it', async () => {
    const bus = await openBus();
    const address = bus.embeddedBroker?.server.address();
    expect(bus.port).toBeGreaterThan(0);
    expect(typeof address === 'object' && address?.port).toBe(bus.port);
  });

  it('sets TCP_NODELAY on every accepted socket before aedes handles it', async () => {
    const accepted: Socket[] = [];
    const bus = await openBus({ onConnection: (socket) => accepted.push(socket) });
    await client(bus);
    await client(bus);
    expect(accepted).toHaveLength(2);
    expect(accepted.map(noDelayOf)).toEqual([true, true]);
  });

  it('counts connected clients for health', async () => {
    const bus = await openBus();
    expect(bus.connectedClients).toBe(0);
    const a = await client(bus);
    await client(bus);
    expect(bus.connectedClients).toBe(2);
    await a.endAsync();
    await until(() => bus.connectedClients === 1, 'aedes to see the disconnect');
    expect(bus.connectedClients).toBe(1);
  });

  it.each([
    ['rw/alerts/red/gas-leak', 'engine-topic'],
    ['rw/alerts', 'engine-topic'],
    ['rw/orders/grid/ord-1', 'engine-topic'],
    ['rw/orders/street/ord-1/extra', 'engine-topic'],
    ['rw/deadletter/ERR_PAYLOAD_SCHEMA', 'engine-topic'],
    ['$SYS/broker/spoof', 'system-topic'],
  ] as const)('refuses a client publish to %s: dropped, connection closed, counted, reported', async (topic, reason) => {
    const denials: PublishDenial[] = [];
    const bus = await openBus({ hooks: { onDenied: (d) => denials.push(d) } });
    const engineSaw: string[] = [];
    await bus.subscribe('rw/#', (t) => engineSaw.push(t));
    await bus.subscribe('$SYS/broker/#', (t) => engineSaw.push(t));
    const spoofer = await client(bus, { clientId: 'spoofer-1' });
    const wasClosed = closed(spoofer);
    spoofer.publish(topic, '{"level":"red"}', { qos: 1 });
    await wasClosed;

    expect(denials).toEqual([{ clientId: 'spoofer-1', topic, reason }]);
    expect(bus.deniedPublishes).toBe(1);
    // A legitimate publish after the refusal goes through, and the spoofed one never did.
    const device = await client(bus);
    await device.publishAsync('rw/telemetry/wm-1', '{}', { qos: 1 });
    await waitFor(engineSaw, 1);
    expect(engineSaw).toEqual(['rw/telemetry/wm-1']);
  });

  it('lets clients publish telemetry and order status updates, even to an order named like a tier', async () => {
    const denials: PublishDenial[] = [];
    const bus = await openBus({ hooks: { onDenied: (d) => denials.push(d) } });
    const seen: string[] = [];
    await bus.subscribe('rw/#', (t) => seen.push(t));
    const c = await client(bus);
    for (const topic of ['rw/telemetry/wm-1', 'rw/orders/ord-1/status', 'rw/orders/grid/status', 'other/app/topic']) {
      await c.publishAsync(topic, '{}', { qos: 1 });
    }
    await waitFor(seen, 3);
    expect(seen).toEqual(['rw/telemetry/wm-1', 'rw/orders/ord-1/status', 'rw/orders/grid/status']);
    expect(denials).toEqual([]);
    expect(c.connected).toBe(true);
  });

  it('reserves the topics of a configured multi-level prefix', async () => {
    const denials: PublishDenial[] = [];
    const bus = await openBus({ hooks: { prefix: 'city/rw', onDenied: (d) => denials.push(d) } });
    const c = await client(bus);
    await c.publishAsync('rw/alerts/red/x', '{}', { qos: 1 }); // not this deployment's prefix
    const wasClosed = closed(c);
    c.publish('city/rw/alerts/red/x', '{}', { qos: 1 });
    await wasClosed;
    expect(denials.map((d) => d.topic)).toEqual(['city/rw/alerts/red/x']);
  });

  it('the engine itself may publish to its own topics (in-process publishes are not authorised as clients)', async () => {
    const bus = await openBus();
    const seen: string[] = [];
    await bus.subscribe('rw/orders/+/+', (t) => seen.push(t));
    await bus.publish('rw/orders/grid/ord-1', '{}', { qos: 1 });
    expect(seen).toEqual(['rw/orders/grid/ord-1']);
    expect(bus.deniedPublishes).toBe(0);
  });

  it('does not hand $SYS topics to a # subscriber [MQTT-4.7.2-1]', async () => {
    const bus = await openBus();
    const seen: string[] = [];
    await bus.subscribe('#', (t) => seen.push(t));
    await client(bus); // aedes announces the new client on $SYS/{id}/new/clients
    await bus.publish('rw/alerts/red/x', 'x', { qos: 0 });
    expect(seen).toEqual(['rw/alerts/red/x']);
  });

  it('runs a replacement authenticate hook (the slot security will use)', async () => {
    const bus = await openBus({
      hooks: {
        authenticate: (_client, username, password, done) => {
          const ok = username === 'device-1' && password?.toString() === 's3cret';
          done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), ok);
        },
      },
    });
    await expect(mqttClient(`mqtt://127.0.0.1:${bus.port}`, { username: 'device-1', password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    const good = await client(bus, { username: 'device-1', password: 's3cret' });
    expect(good.connected).toBe(true);
  });

  it('fails to open with ERR_BROKER_LISTEN when the port is taken', async () => {
    const first = await openBus();
    const second = new EmbeddedBus({ port: first.port, host: '127.0.0.1' });
    cleanups.push(() => second.close());
    await expect(second.open()).rejects.toMatchObject({ code: 'ERR_BROKER_LISTEN' });
  });

  it('close() disconnects clients, stops listening and does not wait for silent sockets', async () => {
    const bus = await openBus();
    const port = bus.port;
    const c = await client(bus, { reconnectPeriod: 0 });
    const clientClosed = closed(c);
    // A socket that never sends CONNECT: aedes would wait 30 s for it.
    const silent = connectTcp({ port, host: '127.0.0.1' });
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));

    const started = performance.now();
    await bus.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    await clientClosed;
    await silentClosed;
    expect(await accepts(port)).toBe(false);
    expect(bus.connectedClients).toBe(0);
  });
});

describe('EmbeddedBus under a stalled subscriber', () => {
  it('keeps telemetry flowing while as many deliveries as the relay may have in flight are held', async () => {
    const bus = new EmbeddedBus({ port: 0, host: '127.0.0.1' });
    await bus.open();
    try {
      const aedes = bus.embeddedBroker!.aedes;
      const held: Array<() => void> = [];
      await new Promise<void>((resolve) => aedes.subscribe('rw/orders/grid/+', (_packet: unknown, callback: () => void) => held.push(callback), resolve));
      const received: string[] = [];
      await bus.subscribe('rw/telemetry/+', (topic) => received.push(topic));
      // The relay's whole window and urgent reserve, held by a subscriber that stopped draining.
      for (let i = 0; i < DEFAULT_WINDOW + 32; i++) void bus.publish(`rw/orders/grid/o${i}`, '{}', { qos: 1 });
      for (let i = 0; i < 1_000; i++) void bus.publish(`rw/telemetry/d${i}`, '{}', { qos: 0 });
      expect(received).toHaveLength(1_000); // delivered at once, not queued behind the orders
      for (const callback of held.splice(0)) callback();
    } finally {
      await bus.close();
    }
  });

  it('delivers a backlog of 50 000 queued messages in order without overflowing the stack when the stall ends', async () => {
    const errors: unknown[] = [];
    const bus = new EmbeddedBus({ port: 0, host: '127.0.0.1', onHandlerError: (err) => errors.push(err) });
    await bus.open();
    try {
      const aedes = bus.embeddedBroker!.aedes;
      // A subscriber that holds its deliveries open, as a TCP client whose socket stopped draining
      // does: EMITTER_CONCURRENCY of them fill aedes' emitter, and everything after queues.
      const held: Array<() => void> = [];
      await new Promise<void>((resolve) => aedes.subscribe('slow/+', (_packet: unknown, callback: () => void) => held.push(callback), resolve));
      const received: string[] = [];
      await bus.subscribe('rw/telemetry/+', (topic) => received.push(topic));
      for (let i = 0; i < EMITTER_CONCURRENCY; i++) void bus.publish(`slow/${i}`, 'x', { qos: 0 }); // never acknowledged while held
      expect(held).toHaveLength(EMITTER_CONCURRENCY);
      const backlog = 50_000;
      for (let i = 0; i < backlog; i++) void bus.publish(`rw/telemetry/d${i}`, '{}', { qos: 0 });
      expect(received).toHaveLength(0); // all queued behind the stalled subscriber
      // The stall ends: each released delivery starts the next queued one.
      for (const callback of held.splice(0)) callback();
      await until(() => received.length === backlog, 'the backlog to be delivered');
      expect(errors).toEqual([]);
      expect(received[0]).toBe('rw/telemetry/d0');
      expect(received.at(-1)).toBe(`rw/telemetry/d${backlog - 1}`);
      expect(received.every((topic, i) => topic === `rw/telemetry/d${i}`)).toBe(true);
    } finally {
      await bus.close();
    }
  });
});
