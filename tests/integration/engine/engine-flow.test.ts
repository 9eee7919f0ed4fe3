import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../../../src/api/app.js';
import type { Alert } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

interface Envelope<T> { specversion: string; id: string; type: string; data: T }

const personal = (() => {
  const registry = loadRegistryFile('registry/demo.yaml');
  const values: string[] = [];
  for (const s of registry.subjects()) for (const v of Object.values(s.personal ?? {})) if (typeof v === 'string') values.push(v);
  return values;
})();

describe('engine end to end over the embedded broker', () => {
  const dir = useTempDir('rw-flow-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
  });

  it('turns a gas reading into an alert and an order that a second client receives; escalation updates the same order', async () => {
    running = await startTestEngine(dir());
    const device = await connectClient(running.url, 'gd-0002');
    const dispatcher = await connectClient(running.url, 'dispatch-system');
    clients.push(device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    const alerts = await collect(dispatcher, 'rw/alerts/#');

    await device.publishAsync('rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 12 }, Date.now()), { qos: 1 });
    const created = await orders.next((m) => (m.body as Envelope<DispatchOrder>).type === 'riskwatch.order.created');
    const order = (created.body as Envelope<DispatchOrder>).data;
    expect(created.topic).toBe(`rw/orders/community/${order.id}`);
    expect((created.body as Envelope<DispatchOrder>).specversion).toBe('1.0');
    expect(order).toMatchObject({ level: 'orange', tier: 'community', status: 'dispatched', scenarioId: 'gas-concentration', deviceId: 'gd-0002', version: 1 });
    expect(order.responseDueAt - order.createdAt).toBe(2 * 3_600_000);
    // The order — and only the order — carries the resident's contact for the handler.
    expect(order.subject?.contact?.phone).toBeTruthy();
    expect(order.subject?.contact?.address).toBeTruthy();
    expect(order.subject?.contact).not.toHaveProperty('idNumber'); // not needed to reach the resident

    await device.publishAsync('rw/telemetry/gd-0002', telemetry({ gas_lel_pct: 31 }, Date.now()), { qos: 1 });
    const escalated = await orders.next((m) => (m.body as Envelope<DispatchOrder>).type === 'riskwatch.order.escalated');
    const updated = (escalated.body as Envelope<DispatchOrder>).data;
    expect(updated.id).toBe(order.id);
    expect(updated).toMatchObject({ level: 'red', tier: 'street', priority: 4, version: 2, notify: ['leadership'] });
    expect(escalated.topic).toBe(`rw/orders/street/${order.id}`);

    const redAlert = await alerts.next((m) => m.topic === 'rw/alerts/red/gas-concentration');
    const alert = (redAlert.body as Envelope<Alert>).data;
    expect(alert).toMatchObject({ level: 'red', status: 'open', deviceId: 'gd-0002' });
    expect(alert.evidence.readings.at(-1)?.metrics.gas_lel_pct).toBe(31);
    const alertText = JSON.stringify(alerts.messages);
    for (const value of personal) expect(alertText).not.toContain(value);

    // Nothing duplicated: one alert, one order.
    const app = buildApp(running.engine);
    const list = await app.inject({ method: 'GET', url: '/api/orders?scenario=gas-concentration' });
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: order.id, level: 'red', version: 2 }] });
    const alertList = await app.inject({ method: 'GET', url: '/api/alerts?status=open&place=st-xinhua' });
    expect(alertList.json().total).toBe(1);
    await app.close();
  });

  it('accepts order status over HTTP and over MQTT; a repeated update changes nothing', async () => {
    running = await startTestEngine(dir());
    const device = await connectClient(running.url);
    const dispatcher = await connectClient(running.url);
    clients.push(device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    await device.publishAsync('rw/telemetry/gd-0003', telemetry({ gas_lel_pct: 40 }), { qos: 1 });
    const order = ((await orders.next()).body as Envelope<DispatchOrder>).data;

    const app = buildApp(running.engine);
    const accepted = await app.inject({ method: 'PATCH', url: `/api/orders/${order.id}`, payload: { status: 'accepted', by: 'grid-member-7' } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'accepted', version: 2 });
    const again = await app.inject({ method: 'PATCH', url: `/api/orders/${order.id}`, payload: { status: 'accepted' } });
    expect(again.json()).toMatchObject({ status: 'accepted', version: 2 });

    await dispatcher.publishAsync(`rw/orders/${order.id}/status`, JSON.stringify({ status: 'resolved', note: 'valve closed' }), { qos: 1 });
    const resolved = await orders.next((m) => (m.body as Envelope<DispatchOrder>).data.status === 'resolved');
    expect((resolved.body as Envelope<DispatchOrder>).data.version).toBe(3);
    const illegal = await app.inject({ method: 'PATCH', url: `/api/orders/${order.id}`, payload: { status: 'accepted' } });
    expect(illegal.statusCode).toBe(409);
    expect(illegal.json().code).toBe('ERR_ORDER_TRANSITION');
    const missing = await app.inject({ method: 'PATCH', url: '/api/orders/nope', payload: { status: 'accepted' } });
    expect(missing.json().code).toBe('ERR_NOT_FOUND');
    await app.close();
  });

  it('refuses spoofed alerts and orders from clients', async () => {
    running = await startTestEngine(dir());
    const spoofer = await connectClient(running.url);
    const listener = await connectClient(running.url);
    clients.push(listener);
    const seen = await collect(listener, 'rw/orders/#');
    await spoofer.publishAsync('rw/orders/street/fake-order', '{"fake":true}', { qos: 0 }).catch(() => undefined);
    // A legitimate order afterwards proves the listener was listening.
    const device = await connectClient(running.url);
    clients.push(device);
    await device.publishAsync('rw/telemetry/gd-0004', telemetry({ gas_lel_pct: 30 }), { qos: 1 });
    await seen.next((m) => m.topic.startsWith('rw/orders/street/') && m.topic !== 'rw/orders/street/fake-order');
    expect(seen.messages.some((m) => m.topic === 'rw/orders/street/fake-order')).toBe(false);
    expect(running.engine.counters.publishesDenied).toBe(1);
    await spoofer.endAsync(true).catch(() => undefined);
  });

  it('fails to start with a coded error when the MQTT port is taken, leaving nothing open', async () => {
    running = await startTestEngine(dir());
    const port = Number(new URL(running.url).port);
    const second = startTestEngine(`${dir()}/second`, { mqtt: { port } });
    await expect(second).rejects.toMatchObject({ code: 'ERR_BROKER_LISTEN' });
    // The directory stays usable: an engine on a free port starts on it.
    const third = await startTestEngine(`${dir()}/second`);
    await third.stop();
  });

  it('never logs residents\' personal data, even at debug level', async () => {
    running = await startTestEngine(dir());
    const device = await connectClient(running.url);
    const dispatcher = await connectClient(running.url);
    clients.push(device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    await device.publishAsync('rw/telemetry/gd-0005', telemetry({ gas_lel_pct: 50 }), { qos: 1 });
    await device.publishAsync('rw/telemetry/sd-0005', telemetry({ smoke_alarm: true }), { qos: 1 });
    await orders.next((m) => (m.body as Envelope<DispatchOrder>).data.scenarioId === 'smoke-alarm');
    await orders.next((m) => (m.body as Envelope<DispatchOrder>).data.scenarioId === 'gas-concentration');
    const logText = running.logs.join('');
    expect(logText).toContain('order created');
    for (const value of personal) expect(logText).not.toContain(value);
  });
});
