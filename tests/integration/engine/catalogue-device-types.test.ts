import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import type { DeadLetter } from '../../../src/ingest/dead-letters.js';
import { until } from '../../helpers/cli-process.js';
import { connectClient, startTestEngine, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

/**
 * The two device types added through catalogue/device-types.yaml alone — no code names them —
 * driven through the real engine over real MQTT: the shipped scenarios (rules/), the demo registry
 * (registry/demo.yaml: em-0008 and fd-0014 belong to elderly residents living alone), the engine
 * on a manual clock that the test moves to each reading's event time.
 */
describe('device types from the catalogue alone: electricity meter and wearable fall detector', () => {
  const dir = useTempDir('rw-catalogue-types-');
  let running: TestEngine | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await running?.stop();
    running = undefined;
  });

  /** An engine on a manual clock, its alert, order and dead-letter events, and a device client that publishes QoS 1. */
  async function start(at: number) {
    const clock = new ManualScheduler(at);
    running = await startTestEngine(dir(), {}, clock);
    const { engine } = running;
    const alerts: AlertEvent[] = [];
    const orders: Array<DispatchOrder & { change: string }> = [];
    const deadLetters: DeadLetter[] = [];
    engine.on('alert', (e) => alerts.push(structuredClone(e)));
    engine.on('order', (o, change) => orders.push({ ...structuredClone(o), change }));
    engine.on('deadletter', (d) => deadLetters.push(d));
    const device = await connectClient(running.url);
    clients.push(device);
    let sent = 0;
    /** Publishes as the device would, then waits until the engine has taken the message and settled what it decided. */
    const publish = async (deviceId: string, payload: object) => {
      await device.publishAsync(`rw/telemetry/${deviceId}`, JSON.stringify(payload), { qos: 1 });
      sent++;
      await until(() => (engine.counters.messages >= sent ? true : undefined), `the engine to take message ${sent}`, 5_000);
      await engine.settle();
    };
    return { clock, engine, alerts, orders, deadLetters, publish };
  }

  it('a fall raises red and an order; a heartbeat does not end it, the wearer\'s "I am fine" does; the timeline speaks the catalogue\'s labels', async () => {
    const t0 = shanghai('2026-11-23T09:00:00');
    const { clock, engine, alerts, orders, deadLetters, publish } = await start(t0);

    // An ordinary heartbeat: accepted, nothing raised.
    const heartbeat = { fall_detected: false, sos_pressed: false, heart_rate_bpm: 74, worn: true, battery_pct: 81, signal_dbm: -92 };
    await publish('fd-0014', { ts: t0, metrics: heartbeat });
    expect(alerts).toEqual([]);

    // The fall, reported at once.
    clock.advanceTo(t0 + 7 * MINUTE);
    await publish('fd-0014', { ts: clock.now(), metrics: { fall_detected: true, sos_pressed: false, heart_rate_bpm: 112, worn: true } });
    const falls = () => alerts.filter((e) => e.alert.scenarioId === 'elderly-fall-alarm');
    expect(falls().map((e) => [e.type, e.alert.level, e.alert.deviceId])).toEqual([['opened', 'red', 'fd-0014']]);
    const created = orders.find((o) => o.scenarioId === 'elderly-fall-alarm' && o.change === 'created');
    expect(created).toMatchObject({ level: 'red', deviceId: 'fd-0014', tier: 'street' });

    // Thirty minutes later the next heartbeat: no fall flag any more, but nobody has checked on the
    // wearer — the alarm stays, and so does the order.
    clock.advanceTo(t0 + 37 * MINUTE);
    await publish('fd-0014', { ts: clock.now(), metrics: heartbeat });
    expect(falls().map((e) => e.type)).toEqual(['opened']);
    expect(engine.getAlert(falls()[0]!.alert.id)).toMatchObject({ status: 'open', level: 'red' });
    // The order stands (its response deadline ran on meanwhile), nobody withdrew it.
    expect(orders.filter((o) => o.id === created!.id).map((o) => o.change)).not.toContain('cancelled');

    // The timeline names the metrics as the catalogue does, in both languages.
    const zh = engine.getOrderTimeline(created!.id, 'zh')!.entries.filter((e) => e.kind === 'reading').map((e) => e.text);
    const en = engine.getOrderTimeline(created!.id, 'en')!.entries.filter((e) => e.kind === 'reading').map((e) => e.text);
    expect(zh).toContainEqual('设备 fd-0014 读数：跌倒报警，SOS按键未按下，心率 112 bpm，手环已佩戴');
    expect(en).toContainEqual('device fd-0014 reported fall detected, SOS button not pressed, heart rate 112 bpm, wearable worn');

    // The wearer answers "I am fine" on the device: that, and only that, ends the alarm.
    clock.advanceTo(t0 + 41 * MINUTE);
    await publish('fd-0014', { ts: clock.now(), metrics: { resident_ok: true } });
    expect(falls().map((e) => [e.type, e.at])).toEqual([['opened', t0 + 7 * MINUTE], ['cleared', t0 + 41 * MINUTE]]);
    expect(engine.getAlert(falls()[0]!.alert.id)).toMatchObject({ status: 'cleared' });
    // Nobody had accepted the order yet: the all-clear withdraws it.
    expect(orders.filter((o) => o.id === created!.id).at(-1)).toMatchObject({ change: 'cancelled', status: 'cancelled' });

    // An SOS is red as well.
    clock.advanceTo(t0 + 2 * HOUR);
    await publish('fd-0023', { ts: clock.now(), metrics: { fall_detected: false, sos_pressed: true, worn: true } });
    expect(alerts.filter((e) => e.alert.deviceId === 'fd-0023').map((e) => [e.type, e.alert.level])).toEqual([['opened', 'red']]);

    expect(deadLetters).toEqual([]);
    expect(engine.counters.rejected).toBe(0);
    expect(engine.counters.expressionErrors).toBe(0);
  });

  it('an electricity meter\'s standby-only day raises elderly-no-power-use within active hours, and power use clears it', async () => {
    const t0 = shanghai('2026-11-23T06:00:00'); // a Monday
    const { clock, engine, alerts, deadLetters, publish } = await start(t0);

    // NB-IoT style: on the hour, an upload of the past hour's four 15-minute intervals (the first
    // at 06:00), the fridge and standby only.
    let total = 1520.25;
    for (let hour = 1; hour <= 13; hour++) {
      const readings = [4, 3, 2, 1].map((back) => {
        total += 0.012;
        return { ts: t0 + hour * HOUR - back * 15 * MINUTE, metrics: { power_w: 48, total_kwh: Number(total.toFixed(3)), supply_on: true, signal_dbm: -97 } };
      });
      clock.advanceTo(t0 + hour * HOUR);
      await publish('em-0008', { readings });
    }
    const power = alerts.filter((e) => e.alert.scenarioId === 'elderly-no-power-use');
    // 12 h of 06:00–22:00 without use beyond standby: yellow at 18:00.
    expect(power.map((e) => [e.type, e.alert.level, e.alert.key, e.at])).toEqual([['opened', 'yellow', 'hh-0008', shanghai('2026-11-23T18:00:00')]]);
    expect(power[0]!.alert.summary).toContain('no power use for 12h'); // the catalogue's noun

    // The kettle at 19:05.
    clock.advanceTo(shanghai('2026-11-23T19:05:00'));
    await publish('em-0008', { ts: clock.now(), metrics: { power_w: 1650, total_kwh: Number((total + 0.4).toFixed(3)) } });
    expect(alerts.filter((e) => e.alert.scenarioId === 'elderly-no-power-use').map((e) => e.type)).toEqual(['opened', 'cleared']);

    expect(deadLetters).toEqual([]);
    expect(engine.counters.rejected).toBe(0);
  });

  it('a metric the catalogue does not list for the type is a dead letter, ERR_PAYLOAD_SCHEMA', async () => {
    const t0 = shanghai('2026-11-23T09:00:00');
    const { clock, engine, alerts, deadLetters, publish } = await start(t0);
    await publish('fd-0014', { ts: clock.now(), metrics: { fall_detected: false, blood_oxygen_pct: 97 } });
    // A water meter's metric is unknown to an electricity meter too.
    await publish('em-0008', { ts: clock.now(), metrics: { power_w: 40, flow_lpm: 0 } });
    expect(deadLetters.map((d) => [d.reason, d.code, d.topic])).toEqual([
      ['schema', 'ERR_PAYLOAD_SCHEMA', 'rw/telemetry/fd-0014'],
      ['schema', 'ERR_PAYLOAD_SCHEMA', 'rw/telemetry/em-0008'],
    ]);
    expect(deadLetters[0]!.message).toContain('/metrics/blood_oxygen_pct unknown metric for a fall_detector');
    expect(engine.counters.rejected).toBe(2);
    expect(alerts).toEqual([]);
    // Typos are caught, the type still works: the same device's valid reading is accepted.
    await publish('fd-0014', { ts: clock.now(), metrics: { fall_detected: false } });
    expect(engine.counters.rejected).toBe(2);
  });
});
