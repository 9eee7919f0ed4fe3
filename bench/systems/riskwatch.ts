import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { EmbeddedBus } from '../../src/broker/embedded-bus.js';
import { resolveConfig } from '../../src/core/config.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { Registry } from '../../src/registry/registry.js';
import { benchFleet } from '../bench-fleet.js';
import type { ProbeFleet, SystemUnderTest } from '../system-under-test.js';

export interface RiskwatchSystem extends SystemUnderTest {
  engine: Engine;
  fleet: ProbeFleet;
}

/** The probe's view of the bench city: what every system under test is fed, riskwatch or not. */
export function probeFleet(devices: number): ProbeFleet {
  const { registry, byType } = benchFleet(devices);
  return { devices: (registry.devices ?? []).map((d) => [d.id, d.type]), gasDetectors: byType.gas_detector };
}

/**
 * riskwatch as the latency probe sees it: the engine in this process with its embedded aedes, the
 * shipped scenarios and dispatch policy, a city of `devices` devices (bench-fleet.ts) and a SQLite
 * file in a temp directory. The output is the order: `riskwatch.order.created` on the tier topics,
 * after the alert and the order are committed (durable before announced).
 */
export async function startRiskwatch(devices: number, tuning: { checkpointInterval?: string } = {}): Promise<RiskwatchSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-latency-'));
  const built = benchFleet(devices);
  const registry = new Registry(built.registry);
  const fleet: ProbeFleet = {
    devices: registry.devices().map((d) => [d.id, d.type]),
    gasDetectors: built.byType.gas_detector,
  };
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', log: { level: 'warn' } },
    tuning.checkpointInterval === undefined ? undefined : { checkpoint: { interval: tuning.checkpointInterval } });
  const engine = createEngine(config, { registry, logger: pino({ level: 'warn' }) });
  await engine.start();
  const url = `mqtt://127.0.0.1:${(engine.messageBus as EmbeddedBus).port}`;
  return {
    name: 'riskwatch',
    description: `riskwatch with the shipped scenarios (${engine.listScenarios().length}) and dispatch policy, embedded aedes, SQLite WAL, model checkpoints every ${config.checkpoint.interval}; ${devices.toLocaleString('en')} devices`,
    inputUrl: url,
    outputUrl: url,
    outputTopics: ['rw/orders/grid/+', 'rw/orders/community/+', 'rw/orders/street/+'],
    // Orders are announced at QoS 1 (sinks/mqtt-sink.ts).
    outputQos: 1,
    match: { deviceIdPath: ['data', 'deviceId'], type: 'riskwatch.order.created' },
    triggerTopicPrefix: 'rw/telemetry',
    engine,
    fleet,
    processed: async () => engine.counters.messages,
    checkpoints: () => {
      const stats = engine.checkpointStats;
      return { keys: stats?.keys ?? 0, passes: stats?.passes ?? 0, longestSliceMs: stats?.last?.longestSliceMs ?? 0 };
    },
    stop: async () => {
      await engine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
