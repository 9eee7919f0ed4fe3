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
 * 6 hours of no water use before the restart still count after it. (What a crash leaves behind:
 * crash-recovery.test.ts.)
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
    // (The registry's other meters, never heard from, are watched from the start and go offline at 08:00 too.)
    const watched = (alerts: AlertEvent[]) => alerts.filter((e) => ['wm-0003', 'wm-0005'].includes(e.alert.deviceId));
    expect(watched(first.alerts).map((e) => [e.alert.scenarioId, e.alert.deviceId, e.alert.level])).toEqual([['meter-offline', 'wm-0005', 'blue']]);
    await running!.stop(); // graceful: what changed since the last checkpoint is written down
    running = undefined;
    const snapshot = openStore(dir());
    const rowsAtStop = snapshot.db.prepare('SELECT count(*) FROM model_state').pluck().get() as number;
    expect(rowsAtStop).toBeGreaterThan(0);
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
    const offline = second.alerts.filter((e) => e.alert.scenarioId === 'meter-offline' && e.alert.deviceId === 'wm-0005');
    expect(offline.map((e) => [e.type, e.alert.level, e.at])).toEqual([['escalated', 'yellow', shanghai('2026-11-23T12:00:00')]]);
    // Checkpoints are kept (a later crash restores them) and overwritten key by key, not consumed.
    await running!.stop();
    running = undefined;
    const store = openStore(`${dir()}`);
    expect(store.db.prepare('SELECT count(*) FROM model_state').pluck().get()).toBe(rowsAtStop);
    store.close();
  });

  it('counts the engine\'s own downtime as silence: a meter due while the engine was down is reported at once on start', async () => {
    const morning = shanghai('2026-11-23T06:00:00');
    const first = await engineAt(morning);
    first.report('wm-0001', morning, 0);
    first.clock.advanceTo(morning + HOUR);
    first.report('wm-0002', morning + HOUR, 0);
    await running!.stop();
    running = undefined;

    // Down for two and a half hours (offline blue is 2 h): the engine cannot know whether the
    // meters spoke meanwhile, so it reports what it knows, safety first.
    const restartedAt = morning + 2.5 * HOUR;
    const second = await engineAt(restartedAt);
    second.clock.advanceTo(restartedAt + 1);
    await second.engine.settle();
    const offline = () => second.alerts.filter((e) => e.alert.scenarioId === 'meter-offline' && ['wm-0001', 'wm-0002'].includes(e.alert.deviceId));
    expect(offline().map((e) => [e.alert.deviceId, e.alert.level, e.at])).toEqual([['wm-0001', 'blue', restartedAt]]);
    // The one not yet due when the engine came back is reported at its own due time, not 2 h after the restart.
    second.clock.advanceTo(morning + 3 * HOUR);
    await second.engine.settle();
    expect(offline().map((e) => [e.alert.deviceId, e.alert.level, e.at])).toEqual([['wm-0001', 'blue', restartedAt], ['wm-0002', 'blue', morning + 3 * HOUR]]);
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

    const checkpoints = openStore(dir());
    const unchanged = checkpoints.modelStates.count('meter-offline') + checkpoints.modelStates.count('water-running-continuously');
    expect(checkpoints.modelStates.count('elderly-no-water')).toBe(1);
    checkpoints.close();

    running = await startTestEngine(dir(), { rules }, new ManualScheduler(start + HOUR));
    const started = running.logs.map((line) => JSON.parse(line) as { msg?: string; restoredKeys?: number }).find((l) => l.msg === 'engine started');
    // Every meter of the registry (watched for silence) and wm-0003's running-water key; not hh-0003's inactivity.
    expect(unchanged).toBeGreaterThan(2);
    expect(started?.restoredKeys).toBe(unchanged);
    const after = openStore(dir());
    expect(after.modelStates.count('elderly-no-water')).toBe(0); // written for the old definition: deleted
    after.close();
  });
});
