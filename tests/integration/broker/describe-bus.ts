import { connectAsync, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageBus } from '../../../src/contracts/bus.js';
import { alertTopic, orderStatusFilter, orderStatusTopic, parseOrderStatusTopic, telemetryFilter, telemetryTopic } from '../../../src/core/topics.js';

/**
 * The MessageBus contract, written once and run against every implementation (STYLE.md item 12,
 * after MQTT.js `abstract_store`): the engine's side of the bus must behave the same whether the
 * broker is embedded aedes or an external mosquitto reached through mqtt.js.
 */
export interface BusUnderTest {
  /** Not yet opened. */
  bus: MessageBus;
  /** Where devices and dispatch systems connect; valid after `bus.open()`. */
  url(): string;
  /** Closes the bus (if the test did not) and anything the factory started for it. */
  cleanup(): Promise<void>;
}

export interface BusFactoryHooks {
  onHandlerError(err: unknown, topic: string): void;
}

export type BusFactory = (hooks: BusFactoryHooks) => Promise<BusUnderTest>;

const P = 'rw';

interface Received {
  topic: string;
  payload: Buffer;
}

/** Resolves once `condition()` holds; fails the test after `ms`. Polls: it waits on real I/O. */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `promise`, or a clear failure after `ms` instead of the 30 s test timeout. */
export function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `count` items are in `list` (or fails the test after `ms`). */
export async function waitFor<T>(list: T[], count: number, ms = 5_000): Promise<T[]> {
  await until(() => list.length >= count, `${count} items (have ${list.length})`, ms);
  return list;
}

/** A device / dispatch system: a plain MQTT 3.1.1 client over TCP. */
export function mqttClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
}

/** An MQTT client subscribed to `filter` at QoS 1, collecting what it receives. */
export async function subscriber(url: string, filter: string): Promise<{ client: MqttClient; received: IPublishPacket[] }> {
  const client = await mqttClient(url);
  const received: IPublishPacket[] = [];
  client.on('message', (_topic, _payload, packet) => received.push(packet));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

export function describeBus(name: string, makeBus: BusFactory): void {
  describe(`MessageBus contract: ${name}`, () => {
    let sut: BusUnderTest;
    let bus: MessageBus;
    const handlerErrors: Array<{ err: unknown; topic: string }> = [];
    const clients: MqttClient[] = [];
    const connectClient = async (options?: IClientOptions): Promise<MqttClient> => {
      const client = await mqttClient(sut.url(), options);
      clients.push(client);
      return client;
    };

    beforeEach(async () => {
      handlerErrors.length = 0;
      sut = await makeBus({ onHandlerError: (err, topic) => handlerErrors.push({ err, topic }) });
      bus = sut.bus;
      await bus.open();
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
      await sut.cleanup();
    });

    it('delivers a device publish over TCP to the subscribed handler, bytes intact', async () => {
      const received: Received[] = [];
      await bus.subscribe(telemetryFilter(P), (topic, payload) => received.push({ topic, payload }));
      const device = await connectClient();
      const body = Buffer.from(JSON.stringify({ ts: 1732300000000, metrics: { flow_lpm: 0.5, total_m3: 12.34 } }));
      await device.publishAsync(telemetryTopic(P, 'wm-0001'), body, { qos: 1 });
      await device.publishAsync(telemetryTopic(P, 'wm-0002'), Buffer.from([0, 255, 1]), { qos: 0 });

      await waitFor(received, 2);
      expect(received[0].topic).toBe('rw/telemetry/wm-0001');
      expect(Buffer.isBuffer(received[0].payload)).toBe(true);
      expect(received[0].payload.equals(body)).toBe(true);
      expect(received[1]).toEqual({ topic: 'rw/telemetry/wm-0002', payload: Buffer.from([0, 255, 1]) });
    });

    it('routes by MQTT wildcards: + is exactly one level, other topics stay out', async () => {
      const received: string[] = [];
      await bus.subscribe(telemetryFilter(P), (topic) => received.push(topic));
      const device = await connectClient();
      for (const topic of ['rw/telemetry/a/b', 'rw/other/x', 'rwx/telemetry/y', 'rw/telemetry/ok', 'rw/telemetry/last']) {
        await device.publishAsync(topic, 'x', { qos: 1 });
      }
      await waitFor(received, 2);
      expect(received).toEqual(['rw/telemetry/ok', 'rw/telemetry/last']);
    });

    it('keeps the order of one device’s pipelined QoS 1 messages', async () => {
      const received: number[] = [];
      await bus.subscribe(telemetryFilter(P), (_topic, payload) => received.push(Number(payload.toString())));
      const device = await connectClient();
      await Promise.all(Array.from({ length: 300 }, (_, i) => device.publishAsync(telemetryTopic(P, 'gm-7'), String(i), { qos: 1 })));
      await waitFor(received, 300);
      expect(received).toEqual(Array.from({ length: 300 }, (_, i) => i));
    });

    it('gives each handler only the topics of its own filter', async () => {
      const telemetry: string[] = [];
      const statuses: Array<string | undefined> = [];
      await bus.subscribe(telemetryFilter(P), (topic) => telemetry.push(topic));
      await bus.subscribe(orderStatusFilter(P), (topic) => statuses.push(parseOrderStatusTopic(P, topic)));
      const client = await connectClient();
      await client.publishAsync(orderStatusTopic(P, 'ord-42'), '{"status":"accepted"}', { qos: 1 });
      await client.publishAsync(telemetryTopic(P, 'sd-1'), '{}', { qos: 1 });
      await waitFor(telemetry, 1);
      await waitFor(statuses, 1);
      expect(telemetry).toEqual(['rw/telemetry/sd-1']);
      expect(statuses).toEqual(['ord-42']);
    });

    it('publish QoS 1 resolves and an MQTT subscriber gets the message at QoS 1, bytes intact', async () => {
      const { client, received } = await subscriber(sut.url(), 'rw/alerts/#');
      clients.push(client);
      const payload = Buffer.from(JSON.stringify({ specversion: '1.0', type: 'rw.alert.opened', data: { level: 'red' } }));
      await expect(bus.publish(alertTopic(P, 'red', 'gas-leak'), payload, { qos: 1 })).resolves.toBeUndefined();
      await waitFor(received, 1);
      expect(received[0].topic).toBe('rw/alerts/red/gas-leak');
      expect(received[0].qos).toBe(1);
      expect(received[0].retain).toBe(false);
      expect(Buffer.from(received[0].payload).equals(payload)).toBe(true);
    });

    it('publishes string payloads as UTF-8', async () => {
      const { client, received } = await subscriber(sut.url(), 'rw/alerts/#');
      clients.push(client);
      await bus.publish(alertTopic(P, 'orange', 'lonely-elder'), '独居老人 24 小时无用水', { qos: 0 });
      await waitFor(received, 1);
      expect(received[0].payload.toString()).toBe('独居老人 24 小时无用水');
    });

    it('keeps a retained publish for subscribers that arrive later', async () => {
      const topic = `rw/alerts/yellow/retained-${Math.random().toString(36).slice(2)}`;
      await bus.publish(topic, 'kept', { qos: 1, retain: true });
      const { client, received } = await subscriber(sut.url(), topic);
      clients.push(client);
      await waitFor(received, 1);
      expect(received[0].payload.toString()).toBe('kept');
      expect(received[0].retain).toBe(true);
      await bus.publish(topic, '', { qos: 1, retain: true }); // clears it [MQTT-3.3.1-10]
    });

    it('refuses wildcard publish topics and malformed filters with ERR_BUS_TOPIC_INVALID', async () => {
      await expect(bus.publish('rw/alerts/+/x', 'x', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_BUS_TOPIC_INVALID' });
      await expect(bus.publish('rw/#', 'x', { qos: 0 })).rejects.toMatchObject({ code: 'ERR_BUS_TOPIC_INVALID' });
      await expect(bus.subscribe('rw/#/x', () => {})).rejects.toMatchObject({ code: 'ERR_BUS_TOPIC_INVALID' });
      await expect(bus.subscribe('rw/tele+', () => {})).rejects.toMatchObject({ code: 'ERR_BUS_TOPIC_INVALID' });
    });

    it('isolates a throwing handler: the error is reported and later messages still arrive', async () => {
      const received: string[] = [];
      await bus.subscribe(telemetryFilter(P), (topic, payload) => {
        if (payload.toString() === 'boom') throw new Error('handler bug');
        received.push(topic);
      });
      const device = await connectClient();
      await device.publishAsync(telemetryTopic(P, 'd1'), 'boom', { qos: 1 });
      await device.publishAsync(telemetryTopic(P, 'd2'), 'fine', { qos: 1 });
      await waitFor(received, 1);
      expect(received).toEqual(['rw/telemetry/d2']);
      expect(handlerErrors).toHaveLength(1);
      expect(handlerErrors[0].topic).toBe('rw/telemetry/d1');
      expect((handlerErrors[0].err as Error).message).toBe('handler bug');
    });

    it('close() is idempotent; a closed bus refuses work with ERR_BUS_NOT_OPEN', async () => {
      await Promise.all([bus.close(), bus.close()]);
      await bus.close();
      await expect(bus.publish('rw/alerts/red/x', 'x', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_BUS_NOT_OPEN' });
      await expect(bus.subscribe('rw/telemetry/+', () => {})).rejects.toMatchObject({ code: 'ERR_BUS_NOT_OPEN' });
      await expect(bus.open()).rejects.toMatchObject({ code: 'ERR_BUS_NOT_OPEN' });
    });
  });

  describe(`MessageBus contract: ${name}, before open()`, () => {
    it('is cold: refuses work with ERR_BUS_NOT_OPEN until opened', async () => {
      const sut = await makeBus({ onHandlerError: () => {} });
      try {
        await expect(sut.bus.publish('rw/alerts/red/x', 'x', { qos: 1 })).rejects.toMatchObject({ code: 'ERR_BUS_NOT_OPEN' });
        await expect(sut.bus.subscribe('rw/telemetry/+', () => {})).rejects.toMatchObject({ code: 'ERR_BUS_NOT_OPEN' });
      } finally {
        await sut.cleanup();
      }
    });
  });
}
