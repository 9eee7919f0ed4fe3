import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('engine with mosquitto as the external broker (--broker)', () => {
  const dir = useTempDir('rw-external-');
  let mosquitto: Mosquitto | undefined;
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it('a device publishes to mosquitto, the engine subscribes (QoS 1) and a dispatch system receives the order from mosquitto', async () => {
    mosquitto = await startMosquitto();
    running = await startTestEngine(dir(), { mqtt: { broker: mosquitto.url, clientId: 'rw-external-test' } });
    expect(running.engine.health()).toMatchObject({ status: 'ok', broker: { kind: 'external', connected: true } });
    const device = await connectClient(mosquitto.url);
    const dispatcher = await connectClient(mosquitto.url);
    clients.push(device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    const alerts = await collect(dispatcher, 'rw/alerts/+/+');

    await device.publishAsync('rw/telemetry/sd-0003', telemetry({ smoke_alarm: true, smoke_obscuration_pct_per_m: 9 }), { qos: 1 });
    const order = ((await orders.next()).body as { data: DispatchOrder }).data;
    expect(order).toMatchObject({ scenarioId: 'smoke-alarm', level: 'red', tier: 'street', deviceId: 'sd-0003' });
    const alert = ((await alerts.next((m) => m.topic === 'rw/alerts/red/smoke-alarm')).body as { data: Alert }).data;
    expect(alert.id).toBe(order.alertId);

    // Status feedback through the external broker.
    await dispatcher.publishAsync(`rw/orders/${order.id}/status`, JSON.stringify({ status: 'accepted' }), { qos: 1 });
    const accepted = await orders.next((m) => (m.body as { data: DispatchOrder }).data.status === 'accepted');
    expect((accepted.body as { data: DispatchOrder }).data.version).toBe(2);
  });
});
