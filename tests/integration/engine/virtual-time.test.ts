import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEvent } from '../../../src/contracts/alert.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

/**
 * The whole engine — real broker, real SQLite — on a manual clock that follows the readings' event
 * time, as replay drives it: a day and a half of fleet time runs in well under a second.
 */
describe('engine on a virtual clock (the shipped scenarios)', () => {
  const dir = useTempDir('rw-virtual-');
  let running: TestEngine | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('raises no-water-use for an elderly resident through the ladder within active hours, and offline — not inactivity — for a silent meter', async () => {
    const start = shanghai('2026-11-23T06:00:00'); // a Monday
    const clock = new ManualScheduler(start);
    running = await startTestEngine(dir(), {}, clock);
    const { engine } = running;
    const alerts: AlertEvent[] = [];
    const orders: Array<DispatchOrder & { change: string }> = [];
    engine.on('alert', (e) => alerts.push(structuredClone(e)));
    engine.on('order', (o, change) => orders.push({ ...structuredClone(o), change }));

    // wm-0003 (85, living alone) reports every 15 min and never shows use; wm-0005 (76, living
    // alone) used water at 06:00 and then went silent.
    const report = (deviceId: string, at: number, flow: number) => engine.ingest(`rw/telemetry/${deviceId}`, Buffer.from(telemetry({ flow_lpm: flow, total_m3: 10 }, at)));
    report('wm-0005', start, 4.5);
    for (let t = start; t <= start + 34 * HOUR; t += 15 * MINUTE) {
      clock.advanceTo(t);
      report('wm-0003', t, 0);
      await engine.settle(); // as live: orders are decided and committed between readings
    }

    const noWater = alerts.filter((e) => e.alert.scenarioId === 'elderly-no-water');
    expect(noWater.map((e) => [e.type, e.alert.level, e.alert.key, e.at])).toEqual([
      ['opened', 'yellow', 'hh-0003', shanghai('2026-11-23T14:00:00')], // 8 h of daytime
      ['escalated', 'orange', 'hh-0003', shanghai('2026-11-23T18:00:00')], // 12 h
      // 22:00–06:00 does not count: 24 h of daytime is reached at 14:00 the next day.
      ['escalated', 'red', 'hh-0003', shanghai('2026-11-24T14:00:00')],
    ]);
    const offline = alerts.filter((e) => e.alert.scenarioId === 'meter-offline');
    expect(offline.filter((e) => e.alert.deviceId === 'wm-0005').map((e) => [e.type, e.alert.level, e.alert.deviceId, e.at])).toEqual([
      ['opened', 'blue', 'wm-0005', start + 2 * HOUR],
      ['escalated', 'yellow', 'wm-0005', start + 6 * HOUR],
    ]);
    // The registry's other meters never spoke: watched from the engine's start, they are reported
    // on the same ladder (wm-0003 reports, so it is not).
    const neverHeard = offline.filter((e) => e.alert.deviceId !== 'wm-0005' && e.type === 'opened');
    expect(neverHeard.length).toBeGreaterThan(0);
    expect(neverHeard.every((e) => e.at === start + 2 * HOUR && e.alert.evidence.facts.neverSeen === true)).toBe(true);
    expect(offline.some((e) => e.alert.deviceId === 'wm-0003')).toBe(false);
    // Silence is not inactivity: the silent meter's household gets no no-water alert.
    expect(alerts.some((e) => e.alert.key === 'hh-0005' && e.alert.scenarioId === 'elderly-no-water')).toBe(false);

    // One order per alert, escalated in place by the alert's levels: grid → community → street.
    const noWaterOrders = orders.filter((o) => o.scenarioId === 'elderly-no-water');
    expect(new Set(noWaterOrders.map((o) => o.id)).size).toBe(1);
    const byLevel = noWaterOrders.filter((o) => o.change === 'created' || o.change === 'escalated');
    expect(byLevel.map((o) => [o.tier, o.level])).toEqual([['grid', 'yellow'], ['community', 'orange'], ['street', 'red']]);
    // Escalation tightens deadlines and never extends one already promised: orange demanded a
    // response by 20:00 on day one (2 h).
    expect(byLevel[1]!.responseDueAt).toBe(shanghai('2026-11-23T20:00:00'));
    // Nobody accepted: at 20:00 the response deadline was missed and supervision stepped in
    // (超时督办) — on the engine clock, between readings, as it would live.
    const overdue = noWaterOrders.filter((o) => o.change === 'overdue');
    expect(overdue.length).toBeGreaterThanOrEqual(1);
    expect(overdue[0]!.supervision[0]).toMatchObject({ deadline: 'response', dueAt: shanghai('2026-11-23T20:00:00'), from: 'community', to: 'street' });

    // Water is used again before anyone accepted: the alert clears and withdraws the order.
    clock.advanceTo(start + 34 * HOUR + MINUTE);
    report('wm-0003', clock.now(), 6);
    await engine.settle();
    const cleared = alerts.at(-1)!;
    expect(cleared).toMatchObject({ type: 'cleared' });
    expect((engine.getAlert(cleared.alert.id) as Alert).status).toBe('cleared');
    expect(orders.at(-1)).toMatchObject({ change: 'cancelled', status: 'cancelled' });
  });
});
