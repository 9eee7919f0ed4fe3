import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/contracts/alert.js';
import { until } from '../helpers/cli-process.js';
import { checkpointOf, engineProcess, writeCrashFixtures } from '../helpers/crash-fixtures.js';
import { collect, connectClient, telemetry } from '../helpers/engine-harness.js';
import { useTempDir } from '../helpers/temp-dir.js';

const CHECKPOINT_INTERVAL_MS = 1_000;
const OFFLINE_BLUE_MS = 12_000; // tests/helpers/crash-fixtures.ts
const RUNNING_YELLOW_MS = 10_000;
/** The timer fires on the engine's clock, the alert is committed, relayed and received: well under this. */
const DELIVERY_SLACK_MS = 1_500;

/**
 * kill -9 through the real interface: the built `riskwatch start` as a child process, devices and a
 * subscriber over MQTT 3.1.1 (mqtt.js) to its embedded broker, the SQLite file on disk. The engine
 * is SIGKILLed once the checkpoint interval has passed and restarted on the same data; what was in
 * progress before the kill must finish on its original schedule. Real time (seconds): this is a
 * process test; the same semantics on a virtual clock are in
 * tests/integration/engine/crash-recovery.test.ts.
 */
describe('kill -9 and restart: model state survives', () => {
  const dir = useTempDir('ckpt-e2e-');
  const clients: MqttClient[] = [];
  let engine: Awaited<ReturnType<typeof engineProcess>> | undefined;
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
    await engine?.kill();
    engine = undefined;
  });

  async function alertsOn(url: string, scenarioId: string) {
    const subscriber = await connectClient(url);
    clients.push(subscriber);
    return collect(subscriber, `rw/alerts/+/${scenarioId}`);
  }
  const alertOf = (m: { body: unknown }) => (m.body as { data: Alert }).data;

  it('reports a meter that went silent before the kill at its original due time, and a never-heard meter from the first start', async () => {
    const paths = writeCrashFixtures(dir());
    engine = await engineProcess(paths, ['--checkpoint-interval', `${CHECKPOINT_INTERVAL_MS}ms`]);
    const firstStartedAt = Date.now();
    await engine.start();
    const device = await connectClient(engine.mqttUrl, 'wm-0001');
    const lastSeen = Date.now();
    await device.publishAsync('rw/telemetry/wm-0001', telemetry({ flow_lpm: 0, total_m3: 3 }, lastSeen), { qos: 1 });
    await device.endAsync();
    // Killed once a checkpoint holds the meter's message (within one interval of it).
    await until(() => ((checkpointOf(paths.data, 'meter-offline', 'wm-0001')?.lastReading as { ts?: number } | null)?.ts === lastSeen ? true : undefined), 'the checkpoint of wm-0001', 10_000);
    expect(Date.now() - lastSeen).toBeLessThan(OFFLINE_BLUE_MS / 2);
    await engine.kill();

    const restartMs = await engine.start();
    const offline = await alertsOn(engine.mqttUrl, 'meter-offline');
    const silent = alertOf(await offline.next((m) => alertOf(m).deviceId === 'wm-0001', 20_000));
    expect(silent).toMatchObject({ level: 'blue', evidence: { facts: { lastSeenAt: lastSeen, silentMs: OFFLINE_BLUE_MS } } });
    // At its due time as if there had been no crash (the restart took restartMs of it).
    const due = lastSeen + OFFLINE_BLUE_MS;
    expect(silent.openedAt).toBeGreaterThanOrEqual(due);
    expect(silent.openedAt - due).toBeLessThan(DELIVERY_SLACK_MS);

    // wm-0002 never said a word: watched from the first start, and that start survived the kill.
    const never = alertOf(await offline.next((m) => alertOf(m).deviceId === 'wm-0002', 20_000));
    expect(never.evidence.facts).toMatchObject({ neverSeen: true });
    const watchedSince = never.evidence.facts.watchedSince as number;
    expect(watchedSince).toBeGreaterThanOrEqual(firstStartedAt);
    expect(watchedSince).toBeLessThan(lastSeen);
    expect(never.openedAt - (watchedSince + OFFLINE_BLUE_MS)).toBeLessThan(DELIVERY_SLACK_MS);
    expect(restartMs).toBeLessThan(OFFLINE_BLUE_MS);
    expect(await engine.stop()).toBe(0);
  }, 60_000);

  it('resumes a duration in progress (water running) from before the kill instead of starting it again', async () => {
    const paths = writeCrashFixtures(dir());
    engine = await engineProcess(paths, ['--checkpoint-interval', `${CHECKPOINT_INTERVAL_MS}ms`]);
    await engine.start();
    // The tap runs from `since` on; the meter reports every 500 ms and keeps trying through the kill.
    const device = await connectClient(engine.mqttUrl, 'wm-0001');
    device.options.reconnectPeriod = 200;
    clients.push(device);
    const since = Date.now();
    const publish = () => device.publish('rw/telemetry/wm-0001', telemetry({ flow_lpm: 6, total_m3: 3 }, Date.now()), { qos: 0 });
    publish();
    const reporting = setInterval(publish, 500);
    try {
      await until(() => ((checkpointOf(paths.data, 'water-running-continuously', 'wm-0001')?.since as unknown[] | undefined)?.[0] === since ? true : undefined), 'the checkpoint of the running tap', 10_000);
      await engine.kill();
      const killedAt = Date.now();
      await engine.start();
      const restartedAt = Date.now();
      const running = await alertsOn(engine.mqttUrl, 'water-running-continuously');
      const alert = alertOf(await running.next((m) => alertOf(m).deviceId === 'wm-0001', 20_000));
      // Counted from the first reading before the kill: due at since + 10 s, not 10 s after the restart.
      expect(alert).toMatchObject({ level: 'yellow', evidence: { facts: { since, forMs: RUNNING_YELLOW_MS } } });
      expect(alert.openedAt - (since + RUNNING_YELLOW_MS)).toBeLessThan(DELIVERY_SLACK_MS);
      expect(alert.openedAt).toBeLessThan(restartedAt + RUNNING_YELLOW_MS);
      expect(killedAt).toBeLessThan(since + RUNNING_YELLOW_MS);
    } finally {
      clearInterval(reporting);
    }
    expect(await engine.stop()).toBe(0);
  }, 60_000);
});
