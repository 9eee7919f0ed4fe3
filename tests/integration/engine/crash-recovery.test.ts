import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { DEFAULT_DB_FILE } from '../../../src/store/store.js';
import { startTestEngine, telemetry, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-11-23T06:00:00+08:00');

/**
 * What a crash leaves behind, on a virtual clock: the data file exactly as `kill -9` would leave it
 * at a given instant — every committed transaction, nothing else — is `VACUUM INTO` a second
 * directory while the first engine runs, and a second engine starts on that copy. (The same
 * through real processes and real signals: tests/e2e/model-state-crash.test.ts.)
 */
describe('model state after a crash', () => {
  const dir = useTempDir('ckpt-crash-');
  const engines: TestEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });

  async function engineAt(dataDir: string, at: number) {
    const clock = new ManualScheduler(at);
    const running = await startTestEngine(dataDir, {}, clock);
    engines.push(running);
    const alerts: AlertEvent[] = [];
    running.engine.on('alert', (e) => alerts.push(structuredClone(e)));
    const report = (deviceId: string, ts: number) =>
      running.engine.ingest(`rw/telemetry/${deviceId}`, Buffer.from(telemetry({ flow_lpm: 0, total_m3: 10 }, ts)));
    const offline = (deviceId: string) => alerts.filter((e) => e.alert.scenarioId === 'meter-offline' && e.alert.deviceId === deviceId).map((e) => [e.type, e.alert.level, e.at]);
    return { clock, engine: running.engine, alerts, report, offline };
  }

  /** The data file as a crash at this instant would leave it, in a directory of its own. */
  function crashCopy(dataDir: string): string {
    const copy = join(dir(), `crashed-${Math.random().toString(36).slice(2)}`);
    mkdirSync(copy);
    const db = new BetterSqlite3(join(dataDir, DEFAULT_DB_FILE));
    db.exec(`VACUUM INTO '${join(copy, DEFAULT_DB_FILE)}'`);
    db.close();
    return copy;
  }

  it('resumes from the last checkpoint: a meter silent through the crash is reported at its due time from there, never later', async () => {
    const first = await engineAt(join(dir(), 'a'), T0);
    first.report('wm-0005', T0);
    first.clock.advanceTo(T0 + 5_000); // the checkpoint interval (5 s) passes: a checkpoint starts
    await first.engine.checkpointModels(); // ... and is written, whenever its slices run
    first.clock.advanceTo(T0 + 10 * MINUTE);
    first.report('wm-0005', T0 + 10 * MINUTE); // not checkpointed yet: a crash now loses it
    const crashed = crashCopy(join(dir(), 'a'));

    const second = await engineAt(crashed, T0 + 20 * MINUTE);
    second.clock.advanceTo(T0 + 3 * HOUR);
    await second.engine.settle();
    // Due 2 h after the last checkpointed message. Without a crash: 06:10 + 2 h. Without checkpoints
    // (before this change): never, the meter had no state after the restart.
    expect(second.offline('wm-0005')).toEqual([['opened', 'blue', T0 + 2 * HOUR]]);
  });

  it('raises again at start a level the checkpoint holds but whose alert never reached the store', async () => {
    const first = await engineAt(join(dir(), 'a'), T0);
    first.report('wm-0005', T0);
    first.clock.advanceTo(T0 + 2 * HOUR);
    await first.engine.settle();
    expect(first.offline('wm-0005')).toEqual([['opened', 'blue', T0 + 2 * HOUR]]);
    await first.engine.checkpointModels(); // the model's blue is written down
    const crashed = crashCopy(join(dir(), 'a'));
    // As if the crash had come after the checkpoint but before the alert's commit.
    const db = new BetterSqlite3(join(crashed, DEFAULT_DB_FILE));
    db.prepare("DELETE FROM orders WHERE alert_id IN (SELECT id FROM alerts WHERE key = 'wm-0005')").run();
    db.prepare("DELETE FROM alerts WHERE key = 'wm-0005'").run();
    db.close();

    const restartedAt = T0 + 2 * HOUR + MINUTE;
    const second = await engineAt(crashed, restartedAt);
    second.clock.advanceTo(restartedAt + 1);
    await second.engine.settle();
    expect(second.offline('wm-0005')).toEqual([['opened', 'blue', restartedAt]]);
    expect(second.engine.listOrders({ scenario: 'meter-offline', limit: 500 }).items.some((o) => o.deviceId === 'wm-0005')).toBe(true);
  });

  it('keeps counting a registry meter never heard from from the first start, across a crash', async () => {
    const first = await engineAt(join(dir(), 'a'), T0);
    first.clock.advanceTo(T0 + 5_000);
    await first.engine.checkpointModels();
    const crashed = crashCopy(join(dir(), 'a'));

    const second = await engineAt(crashed, T0 + HOUR);
    second.clock.advanceTo(T0 + 4 * HOUR);
    await second.engine.settle();
    expect(second.offline('wm-0001')).toEqual([['opened', 'blue', T0 + 2 * HOUR]]);
    const opened = second.alerts.find((e) => e.alert.deviceId === 'wm-0001')!;
    expect(opened.alert.evidence.facts).toMatchObject({ neverSeen: true, watchedSince: T0 });
  });
});
