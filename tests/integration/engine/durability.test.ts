import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('durability across restarts', () => {
  const dir = useTempDir('rw-durable-');
  let running: TestEngine | undefined;
  let mosquitto: Mosquitto | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await running?.stop();
    running = undefined;
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it('keeps the stored order and the open alert; the restarted engine continues them without duplicates', async () => {
    running = await startTestEngine(dir());
    let device = await connectClient(running.url);
    let dispatcher = await connectClient(running.url);
    let orders = await collect(dispatcher, ORDER_FILTERS);
    await device.publishAsync('rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 12 }), { qos: 1 });
    const first = ((await orders.next()).body as { data: DispatchOrder }).data;
    await Promise.all([device.endAsync(), dispatcher.endAsync()]);
    await running.stop();

    running = await startTestEngine(dir());
    expect(running.engine.listOrders({})).toMatchObject({ total: 1, items: [{ id: first.id, level: 'orange' }] });
    expect(running.engine.listAlerts({ status: 'open' }).total).toBe(1);
    device = await connectClient(running.url);
    dispatcher = await connectClient(running.url);
    clients.push(device, dispatcher);
    orders = await collect(dispatcher, ORDER_FILTERS);
    // The same level again: the restored alert absorbs it — no second alert, no second order.
    await device.publishAsync('rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 13 }), { qos: 1 });
    await device.publishAsync('rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 30 }), { qos: 1 });
    const escalated = ((await orders.next()).body as { data: DispatchOrder }).data;
    expect(escalated).toMatchObject({ id: first.id, level: 'red', version: 2 });
    expect(running.engine.listOrders({}).total).toBe(1);
    expect(running.engine.listAlerts({}).total).toBe(1);
  });

  it('republishes, after a restart, an order committed while the external broker was down', async () => {
    mosquitto = await startMosquitto();
    const port = mosquitto.port;
    running = await startTestEngine(dir(), { mqtt: { broker: mosquitto.url, clientId: 'rw-durability-test' } });
    await mosquitto.stop();
    // A reading that reached the engine just before the broker died: the order commits, publishing cannot finish.
    running.engine.ingest('rw/telemetry/gd-0004', Buffer.from(telemetry({ gas_lel_pct: 44 })));
    await running.engine.settle();
    expect(running.engine.listOrders({}).total).toBe(1);
    expect(running.engine.health().counters.outboxPending).toBeGreaterThan(0);
    await running.stop();
    running = undefined;

    mosquitto = await startMosquitto({ port });
    const dispatcher = await connectClient(mosquitto.url);
    clients.push(dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    running = await startTestEngine(dir(), { mqtt: { broker: mosquitto.url, clientId: 'rw-durability-test' } });
    const order = ((await orders.next()).body as { data: DispatchOrder }).data;
    expect(order).toMatchObject({ deviceId: 'gd-0004', level: 'red', version: 1 });
    await running.engine.flush();
    expect(running.engine.health().counters.outboxPending).toBe(0);
  });
});
