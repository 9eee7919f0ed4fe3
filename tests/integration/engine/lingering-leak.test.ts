import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Alert, AlertEvent } from '../../../src/contracts/alert.js';
import type { DispatchOrder, OrderChange } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { collect, connectClient, ORDER_FILTERS, startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

interface Envelope<T> { type: string; data: T }

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * Issue 10, "a lingering gas leak is silenced": a detector reads 30 %LEL (red, an order to the
 * street), then 7 — still above yellow (5) but below yellow's one-minute `for`. The alert used to
 * clear and the order to be cancelled within two seconds, and the yellow that followed was
 * suppressed by the cooldown: for five minutes a detector reading a leak had no alert and no order.
 *
 * The real engine — embedded broker over TCP, SQLite file, the shipped gas-concentration scenario —
 * on a manual clock: readings carry the clock's time, so minutes of the leak take no real time.
 */
describe('a lingering gas leak is never silenced', () => {
  const dir = useTempDir('rw-lingering-leak-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
  });

  it('after red, 7 %LEL keeps the alert open at yellow and the order standing; it clears only below 5', async () => {
    const start = Date.parse('2026-11-23T10:00:00+08:00');
    const clock = new ManualScheduler(start);
    running = await startTestEngine(dir(), {}, clock);
    const { engine } = running;
    const device = await connectClient(running.url, 'gd-0004');
    const dispatcher = await connectClient(running.url, 'dispatch-system');
    clients.push(device, dispatcher);
    const orders = await collect(dispatcher, ORDER_FILTERS);
    const alertMessages = await collect(dispatcher, 'rw/alerts/#');
    const alertEvents: AlertEvent[] = [];
    const orderChanges: Array<{ change: OrderChange; order: DispatchOrder }> = [];
    engine.on('alert', (event) => alertEvents.push(structuredClone(event)));
    engine.on('order', (order, change) => orderChanges.push({ change, order: structuredClone(order) }));

    const read = async (at: number, lel: number) => {
      clock.advanceTo(at);
      // QoS 2: aedes answers PUBREC only once the engine's in-process subscription has taken the
      // message, so the promise resolves after the reading went through the models.
      await device.publishAsync('rw/telemetry/gd-0004', telemetry({ gas_lel_pct: lel }, at), { qos: 2 });
      await engine.settle(); // the order changes it caused are decided and committed
    };
    const orderType = (m: { body: unknown }) => (m.body as Envelope<DispatchOrder>).type;

    await read(start, 30);
    const created = (await orders.next((m) => orderType(m) === 'riskwatch.order.created')).body as Envelope<DispatchOrder>;
    expect(created.data).toMatchObject({ level: 'red', tier: 'street', status: 'dispatched', deviceId: 'gd-0004' });

    // Two seconds later, 7 %LEL: red's and orange's resets hold, yellow's condition still holds.
    await read(start + 2 * SECOND, 7);
    expect(alertEvents.map((e) => [e.type, e.from, e.to])).toEqual([['opened', undefined, 'red'], ['deescalated', 'red', 'yellow']]);
    expect(engine.getOrder(created.data.id)?.status).toBe('dispatched');
    const lowered = await alertMessages.next((m) => m.topic === 'rw/alerts/yellow/gas-concentration');
    expect((lowered.body as Envelope<Alert>).type).toBe('riskwatch.alert.deescalated');

    // 7 %LEL every 15 s, past yellow's minute and past the five-minute cooldown: nothing changes.
    let at = start + 2 * SECOND;
    while (at < start + 6 * MINUTE) {
      at += 15 * SECOND;
      await read(at, 7);
      const open = engine.listAlerts({ scenario: 'gas-concentration', status: 'open' });
      expect(open.items.map((a) => [a.deviceId, a.level]), `at +${(at - start) / SECOND} s`).toEqual([['gd-0004', 'yellow']]);
      expect(engine.getOrder(created.data.id)?.status).toBe('dispatched');
    }
    expect(alertEvents).toHaveLength(2);
    expect(orderChanges.map((c) => c.change)).not.toContain('cancelled');

    // Below yellow (5): every level lets go, the alert clears and withdraws the unaccepted order.
    await read(at + 15 * SECOND, 4);
    expect(alertEvents.at(-1)).toMatchObject({ type: 'cleared', from: 'yellow', at: at + 15 * SECOND });
    const cancelled = (await orders.next((m) => orderType(m) === 'riskwatch.order.cancelled')).body as Envelope<DispatchOrder>;
    expect(cancelled.data).toMatchObject({ id: created.data.id, status: 'cancelled' });
    expect(cancelled.data.history.find((h) => h.type === 'cancelled')?.at).toBe(at + 15 * SECOND);
    await alertMessages.next((m) => (m.body as Envelope<Alert>).type === 'riskwatch.alert.cleared');
    // Over MQTT, in order: one alert opened, lowered and cleared; the order cancelled once, last.
    expect(alertMessages.messages.map((m) => (m.body as Envelope<Alert>).type)).toEqual(
      ['riskwatch.alert.opened', 'riskwatch.alert.deescalated', 'riskwatch.alert.cleared'],
    );
    const orderTypes = orders.messages.map(orderType);
    expect(orderTypes.filter((t) => t === 'riskwatch.order.cancelled')).toHaveLength(1);
    expect(orderTypes.at(-1)).toBe('riskwatch.order.cancelled');

    // Nothing was held back by the cooldown: a de-escalation is not a clear.
    expect(engine.counters.alertsSuppressed).toBe(0);
    expect(running.logs.filter((line) => line.includes('"reason":"cooldown"'))).toEqual([]);
  });
});
