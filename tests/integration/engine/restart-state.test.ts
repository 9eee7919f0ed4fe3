import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { openStore } from '../../../src/store/store.js';
import { startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

/**
 * A graceful restart (an upgrade at lunchtime) must not reset the clocks that protect residents:
 * 6 hours of no water use before the restart still count after it.
 */
describe('model state across a graceful restart', () => {
  const dir = useTempDir('rw-restart-');
  let running: TestEngine | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  async function engineAt(start: number) {
    const clock = new ManualScheduler(start);
    running = await startTestEngine(dir(), {}, clock);
    const alerts: AlertEvent[] = [];
    running.engine.on('alert', (e) => alerts.push(structuredClone(e)));
    const report = (deviceId: string, at: number, flow: number) =>
      running!.engine.ingest(`rw/telemetry/${deviceId}`, Buffer.from(telemetry({ flow_lpm: flow, total_m3: 10 }, at)));
    return { clock, alerts, report, engine: running.engine };
  }

  it('keeps counting inactivity and offline durations through a 30-minute upgrade', async () => {
    const morning = shanghai('2026-11-23T06:00:00');
    const first = await engineAt(morning);
    first.report('wm-0005', morning, 3); // then silent: offline blue at 08:00, yellow due at 12:00
    for (let t = morning; t <= shanghai('2026-11-23T11:00:00'); t += 15 * MINUTE) {
      first.clock.advanceTo(t);
      first.report('wm-0003', t, 0); // the resident uses no water
    }
    await first.engine.settle();
    expect(first.alerts.map((e) => [e.alert.scenarioId, e.alert.level])).toEqual([['meter-offline', 'blue']]);
    await running!.stop(); // graceful: the models' state is written down
    running = undefined;
    const snapshot = openStore(dir());
    expect((snapshot.db.prepare('SELECT count(*) FROM model_state').pluck().get() as number)).toBeGreaterThan(0);
    snapshot.close();

    const resumedAt = shanghai('2026-11-23T11:30:00');
    const second = await engineAt(resumedAt);
    for (let t = resumedAt; t <= shanghai('2026-11-23T15:00:00'); t += 15 * MINUTE) {
      second.clock.advanceTo(t);
      second.report('wm-0003', t, 0);
    }
    await second.engine.settle();
    // Yellow at 14:00 exactly as if nothing had restarted (8 h of daytime since 06:00; the
    // 30-minute gap is under maxSilence, so it counts). Without the snapshot: 19:30.
    const noWater = second.alerts.filter((e) => e.alert.scenarioId === 'elderly-no-water');
    expect(noWater.map((e) => [e.type, e.alert.level, e.at])).toEqual([['opened', 'yellow', shanghai('2026-11-23T14:00:00')]]);
    // The silent meter escalates on schedule: the alert restored from the store, the silence from the snapshot.
    const offline = second.alerts.filter((e) => e.alert.scenarioId === 'meter-offline');
    expect(offline.map((e) => [e.type, e.alert.level, e.at])).toEqual([['escalated', 'yellow', shanghai('2026-11-23T12:00:00')]]);
    // One-shot: the snapshot was consumed at start.
    const store = openStore(`${dir()}`);
    expect(store.db.prepare('SELECT count(*) FROM model_state').pluck().get()).toBe(0);
    store.close();
  });

  it('does not turn the engine\'s own downtime into a storm of offline alerts', async () => {
    const morning = shanghai('2026-11-23T06:00:00');
    const first = await engineAt(morning);
    first.report('wm-0001', morning, 0);
    first.report('wm-0002', morning, 0);
    await running!.stop();
    running = undefined;

    // Down for five hours (offline blue is 2 h): the meters may well have reported meanwhile.
    const second = await engineAt(morning + 5 * HOUR);
    second.clock.advanceTo(morning + 5 * HOUR + MINUTE);
    await second.engine.settle();
    expect(second.alerts.filter((e) => e.alert.scenarioId === 'meter-offline')).toEqual([]);
    // Counting restarts at the restart: a meter that stays silent is reported 2 h later.
    second.clock.advanceTo(morning + 7 * HOUR + MINUTE);
    await second.engine.settle();
    expect(second.alerts.filter((e) => e.alert.scenarioId === 'meter-offline').map((e) => e.alert.deviceId).sort()).toEqual(['wm-0001', 'wm-0002']);
  });

  it('does not restore state into a scenario whose definition changed meanwhile', async () => {
    const rules = `${dir()}/rules`;
    cpSync('rules', rules, { recursive: true });
    const start = shanghai('2026-11-23T06:00:00');
    running = await startTestEngine(dir(), { rules }, new ManualScheduler(start));
    running.engine.ingest('rw/telemetry/wm-0003', Buffer.from(telemetry({ flow_lpm: 0, total_m3: 10 }, start)));
    await running.stop(); // keys: elderly-no-water, meter-offline, water-running-continuously
    const file = `${rules}/elderly-no-water.yaml`;
    writeFileSync(file, readFileSync(file, 'utf8').replace(/yellow: 8h/, 'yellow: 9h'));

    running = await startTestEngine(dir(), { rules }, new ManualScheduler(start + HOUR));
    const started = running.logs.map((line) => JSON.parse(line) as { msg?: string; restoredKeys?: number }).find((l) => l.msg === 'engine started');
    expect(started?.restoredKeys).toBe(2);
  });
});
