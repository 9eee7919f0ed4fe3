import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alert.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { resolveConfig } from '../../../src/core/config.js';
import { createEngine, type Engine } from '../../../src/engine.js';
import { replay } from '../../../src/engine/replay.js';
import { Registry } from '../../../src/registry/registry.js';
import { scoreDetection } from '../../../bench/detection-quality.js';
import { fleetFromRegistry, generateCity } from '../../../simulators/fleet.js';
import { planIncidents, randomIncidents } from '../../../simulators/incidents.js';
import { simulate } from '../../../simulators/simulation.js';
import { capturingLogger } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const HOUR = 3_600_000;

/**
 * The whole chain the detection-quality benchmark runs, CI-sized: a generated city with injected
 * incidents → its recording → replay through the engine with the shipped scenarios → score the
 * alerts against the labels.
 */
describe('detection quality on a simulated city (simulate → replay → score)', () => {
  const dir = useTempDir('rw-quality-');
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  it('catches every labelled incident its scenarios can see, with no false alarm from normal traffic', async () => {
    const seed = 11;
    const city = generateCity({ households: 200, seed });
    const registry = new Registry(city);
    const fleet = fleetFromRegistry(registry);
    const window = { startMs: Date.parse('2026-03-02T00:00:00+08:00'), endMs: Date.parse('2026-03-04T00:00:00+08:00') };
    const plan = planIncidents(fleet, randomIncidents(fleet, 12, window, seed), window, seed);
    const messages = simulate({ fleet, seed, startMs: window.startMs, endMs: window.endMs, effects: plan.effects });

    const clock = new ManualScheduler(window.startMs);
    const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: join(dir(), 'db'), rules: 'rules', log: { level: 'warn' } });
    engine = createEngine(config, { registry, scheduler: clock, logger: capturingLogger([]) });
    await engine.start();
    const alerts: Alert[] = [];
    engine.on('alert', (e) => {
      if (e.type === 'opened') alerts.push(e.alert);
    });
    const encoded = (function* () {
      for (const m of messages) yield { t: m.t, topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)) };
    })();
    const summary = await replay(engine, clock, encoded);
    expect(summary.rejected).toBe(0);

    const days = (window.endMs - window.startMs) / (24 * HOUR);
    const scores = scoreDetection(plan.labels, alerts, { deviceDays: fleet.devices.length * days });
    const expected = plan.labels.filter((l) => l.expectedScenarios.length > 0);
    expect(expected.length).toBeGreaterThanOrEqual(6);
    for (const score of scores) {
      expect({ scenario: score.scenarioId, missed: score.incidents - score.detected }).toEqual({ scenario: score.scenarioId, missed: 0 });
      expect({ scenario: score.scenarioId, falseAlarms: score.falseAlarms }).toEqual({ scenario: score.scenarioId, falseAlarms: 0 });
    }
  });
});
