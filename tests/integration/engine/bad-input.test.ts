import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../../../src/api/app.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('bad input over MQTT', () => {
  const dir = useTempDir('rw-bad-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
  });

  it('rejects each kind of bad message with a coded, counted dead letter, visible over the API and on rw/deadletter/{reason}', async () => {
    running = await startTestEngine(dir());
    const device = await connectClient(running.url);
    const watcher = await connectClient(running.url);
    clients.push(device, watcher);
    const deadLetters = await collect(watcher, 'rw/deadletter/+');

    const now = Date.now();
    const cases: Array<[topic: string, payload: string | Buffer, reason: string]> = [
      ['rw/telemetry/gd-0002', '{"metrics": {"gas_lel_pct": 3', 'malformed'],
      ['rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 'high' as unknown as number }), 'schema'],
      ['rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 3, temperature_kelvin: 300 }), 'schema'],
      ['rw/telemetry/zz-9999', telemetry({ gas_lel_pct: 3 }), 'unknown_device'],
      ['rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 3 }, now + 3_600_000), 'clock_skew'],
      ['rw/telemetry/gd-0002', Buffer.alloc(70_000, 0x20), 'too_large'],
      ['rw/telemetry/', telemetry({ gas_lel_pct: 3 }), 'bad_topic'],
    ];
    for (const [topic, payload] of cases) await device.publishAsync(topic, payload, { qos: 1 });
    for (const [, , reason] of cases) await deadLetters.next((m) => m.topic === `rw/deadletter/${reason}`);

    const app = buildApp(running.engine);
    const res = await app.inject({ method: 'GET', url: '/api/deadletters?limit=50' });
    const body = res.json() as { total: number; counts: Record<string, number>; items: Array<{ reason: string; code: string }> };
    expect(body.total).toBe(cases.length);
    expect(body.counts).toMatchObject({ malformed: 1, schema: 2, unknown_device: 1, clock_skew: 1, too_large: 1, bad_topic: 1 });
    expect(body.items.find((i) => i.reason === 'clock_skew')?.code).toBe('ERR_CLOCK_SKEW');
    expect(body.items.find((i) => i.reason === 'too_large')?.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    const schemaOnly = await app.inject({ method: 'GET', url: '/api/deadletters?reason=schema' });
    expect(schemaOnly.json().total).toBe(2);
    expect(running.engine.counters.rejected).toBe(cases.length);
    expect(running.engine.health().status).toBe('ok');
    await app.close();
  });

  it('a burst of garbage does not stop, stall or lose the valid reading behind it', async () => {
    running = await startTestEngine(dir());
    const garbage = await connectClient(running.url);
    const device = await connectClient(running.url);
    const dispatcher = await connectClient(running.url);
    clients.push(garbage, device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);

    const kinds = ['{{{', '[]', 'null', '{"readings": 5}', telemetry({ gas_lel_pct: -4 }), '\u0000\u0001binary'];
    const burst = 6_000;
    for (let i = 0; i < burst; i++) garbage.publish(i % 7 === 0 ? `rw/telemetry/nobody-${i}` : 'rw/telemetry/gd-0003', kinds[i % kinds.length]!, { qos: 0 });
    await device.publishAsync('rw/telemetry/gd-0003', telemetry({ gas_lel_pct: 33 }), { qos: 1 });

    const order = (await orders.next()).body as { data: DispatchOrder };
    expect(order.data).toMatchObject({ deviceId: 'gd-0003', level: 'red' });
    // Every garbage message was looked at and counted; none crashed a stage.
    await garbage.publishAsync('rw/telemetry/gd-0003', '{{{', { qos: 1 }); // a QoS 1 round trip: all earlier QoS 0 messages were delivered
    expect(running.engine.counters.rejected).toBe(burst + 1);
    expect(running.engine.counters.stageErrors).toBe(0);
    expect(running.engine.listDeadLetters({ limit: 10, offset: 0 }).items).toHaveLength(10);
    expect(running.engine.health().counters.deadLetters).toBe(burst + 1);
  });
});
