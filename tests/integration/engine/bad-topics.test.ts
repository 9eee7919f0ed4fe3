import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { embeddedPort } from '../../../src/broker/create-bus.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { resolveConfig, type DeepPartial, type RiskwatchConfig } from '../../../src/core/config.js';
import { runEngine, type RunningEngine } from '../../../src/main.js';
import { collect, connectClient, ORDER_FILTERS, telemetry } from '../../helpers/engine-harness.js';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto.js';
import { useTempDir } from '../../helpers/temp-dir.js';

/**
 * Issue 10, defect 4: messages under the topic prefix on a topic that is neither telemetry nor a
 * status report used to vanish (the engine subscribed to `rw/telemetry/+` only). Over the real
 * interface: a running engine (embedded broker over TCP, or mosquitto), an MQTT 3.1.1 client, and
 * the engine's own HTTP API on a real port.
 */
const BAD_TOPICS = ['rw/telemetry/a/b', 'rw/telemetry/gd-0002/extra', 'rw/telemetryx/gd-0002', 'rw/foo'];
const OUTSIDE_TOPIC = 'other/telemetry/gd-0002';

interface Health {
  status: string;
  counters: Record<string, number>;
}

interface DeadLetterPage {
  total: number;
  counts: Record<string, number>;
  items: Array<{ topic: string; reason: string; code: string }>;
}

describe('bad topics under the prefix (real engine, MQTT over TCP, HTTP API)', () => {
  const dir = useTempDir('ingest-bad-topics-');
  let running: RunningEngine | undefined;
  let mosquitto: Mosquitto | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  async function start(overrides: DeepPartial<RiskwatchConfig> = {}): Promise<{ mqttUrl: string; api: (path: string) => Promise<unknown> }> {
    const config = resolveConfig(
      { mqtt: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, data: dir(), rules: 'rules', registry: 'registry/demo.yaml', log: { level: 'warn' } },
      overrides,
    );
    running = await runEngine(config, pino({ level: 'silent' }));
    const port = embeddedPort(running.engine.messageBus);
    const mqttUrl = port !== undefined ? `mqtt://127.0.0.1:${port}` : config.mqtt.broker;
    const api = async (path: string) => (await fetch(`http://127.0.0.1:${running!.httpPort}${path}`)).json();
    return { mqttUrl, api };
  }

  /**
   * Publishes the bad topics, one topic outside the prefix, and a reading that raises an order;
   * then reports the order as accepted. Returns once the order's acceptance came back, so the
   * engine's own alert and order publications have passed its input subscription by then.
   */
  async function exercise(mqttUrl: string): Promise<void> {
    const device = await connectClient(mqttUrl);
    const dispatcher = await connectClient(mqttUrl);
    clients.push(device, dispatcher);
    const deadLetters = await collect(dispatcher, 'rw/deadletter/+');
    const orders = await collect(dispatcher, ORDER_FILTERS);

    const payload = telemetry({ gas_lel_pct: 3 });
    for (const topic of [...BAD_TOPICS, OUTSIDE_TOPIC]) await device.publishAsync(topic, payload, { qos: 1 });
    for (const topic of BAD_TOPICS) await deadLetters.next((m) => (m.body as { topic?: string }).topic === topic);

    await device.publishAsync('rw/telemetry/gd-0005', telemetry({ gas_lel_pct: 27 }), { qos: 1 });
    const order = ((await orders.next()).body as { data: DispatchOrder }).data;
    await dispatcher.publishAsync(`rw/orders/${order.id}/status`, JSON.stringify({ status: 'accepted' }), { qos: 1 });
    await orders.next((m) => (m.body as { data: DispatchOrder }).data.status === 'accepted');
    expect(deadLetters.messages.map((m) => m.topic)).toEqual(BAD_TOPICS.map(() => 'rw/deadletter/bad_topic'));
  }

  async function expectBadTopicsDeadLettered(api: (path: string) => Promise<unknown>): Promise<Health> {
    const page = (await api('/api/deadletters?reason=bad_topic&limit=50')) as DeadLetterPage;
    expect(page.total).toBe(BAD_TOPICS.length);
    expect(page.items.map((i) => i.topic).sort()).toEqual([...BAD_TOPICS].sort());
    expect(new Set(page.items.map((i) => i.code))).toEqual(new Set(['ERR_TOPIC_INVALID']));
    // Only the bad topics: neither the engine's own alert, order and dead-letter publications nor
    // the status report (all under the prefix, all back through the input subscription) are.
    expect(page.counts).toMatchObject({ bad_topic: BAD_TOPICS.length, malformed: 0, schema: 0, unknown_device: 0, internal: 0 });

    const health = (await api('/health')) as Health;
    expect(health.status).toBe('ok');
    expect(health.counters).toMatchObject({
      messages: BAD_TOPICS.length + 1, // the bad topics and the one good reading
      accepted: 1,
      rejected: BAD_TOPICS.length,
      deadLetters: BAD_TOPICS.length,
      statusUpdatesRejected: 0,
      stageErrors: 0,
      ordersCreated: 1,
    });
    return health;
  }

  it('embedded broker: each bad topic is dead-lettered as bad_topic and counted; a topic outside the prefix is counted as ignored', async () => {
    const { mqttUrl, api } = await start();
    await exercise(mqttUrl);
    const health = await expectBadTopicsDeadLettered(api);
    expect(health.counters.ignored).toBe(1);
  });

  // An external broker is shared: the engine subscribes to `rw/#` only, so other applications'
  // traffic (the topic outside the prefix) never reaches it. MQTT 3.1.1 sends the engine's own
  // publications back over the network (they must be recognised); MQTT 5 does not (No Local).
  it.each([4, 5])('external broker (mosquitto, MQTT protocol %i): the same, and the engine is not fed its own output', async (protocolVersion) => {
    mosquitto = await startMosquitto();
    const { mqttUrl, api } = await start({ mqtt: { broker: mosquitto.url, protocolVersion, clientId: `ingest-bad-topics-${protocolVersion}` } });
    await exercise(mqttUrl);
    const health = await expectBadTopicsDeadLettered(api);
    expect(health.counters.ignored).toBe(0);
  });
});
