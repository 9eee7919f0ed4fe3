import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Alert } from '../src/contracts/alert.js';
import { ManualScheduler } from '../src/core/manual-scheduler.js';
import { resolveConfig } from '../src/core/config.js';
import { createEngine } from '../src/engine.js';
import { replay } from '../src/engine/replay.js';
import { Registry } from '../src/registry/registry.js';
import { fleetFromRegistry, generateCity } from '../simulators/fleet.js';
import { planIncidents, randomIncidents } from '../simulators/incidents.js';
import { simulate } from '../simulators/simulation.js';
import { environment, parseFlags, round } from './bench-environment.js';
import { scoreDetection, type ScenarioScore } from './detection-quality.js';

/**
 * Issue 4, benchmark 7 — detection quality: a generated city with `--incidents` injected incidents
 * (simulators/), its recording replayed through the engine with the shipped scenarios on a virtual
 * clock, the alerts scored against the simulator's labels (detection-quality.ts): per scenario,
 * incidents detected, detection delay, false alarms per 1 000 device-days.
 *
 * `node dist/bench/detection.js [--full] [--households N] [--days D] [--incidents N] [--seed S] [--out DIR] [--name NAME]`
 * Quick: 1 000 households, 2 days, 24 incidents; --full: 5 000 households, 7 days, 80 incidents.
 */
export interface DetectionBenchOptions {
  full: boolean;
  /** 0: per mode. */
  households: number;
  days: number;
  incidents: number;
  seed: number;
  out: string;
  name: string;
}

export const DEFAULT_DETECTION_OPTIONS: Readonly<DetectionBenchOptions> = {
  full: false, households: 0, days: 0, incidents: 0, seed: 4, out: 'bench/results', name: 'detection',
};

const DAY = 86_400_000;
/** Monday 2 March 2026, 00:00 in Shanghai: an ordinary working week with no holiday. */
const START = Date.parse('2026-03-02T00:00:00+08:00');

export async function runDetectionBenchmark(options: DetectionBenchOptions) {
  const households = options.households || (options.full ? 5_000 : 1_000);
  const days = options.days || (options.full ? 7 : 2);
  const incidentCount = options.incidents || (options.full ? 80 : 24);
  const city = generateCity({ households, seed: options.seed });
  const registry = new Registry(city);
  const fleet = fleetFromRegistry(registry);
  const window = { startMs: START, endMs: START + days * DAY };
  const plan = planIncidents(fleet, randomIncidents(fleet, incidentCount, window, options.seed), window, options.seed);
  const messages = simulate({ fleet, seed: options.seed, startMs: window.startMs, endMs: window.endMs, effects: plan.effects });

  const dataDir = mkdtempSync(join(tmpdir(), 'rw-bench-detection-'));
  const clock = new ManualScheduler(window.startMs);
  // A replay needs no crash checkpoints (see src/cli/replay.ts).
  const config = resolveConfig({ mqtt: { port: 0, host: '127.0.0.1' }, http: { enabled: false }, data: dataDir, rules: 'rules', checkpoint: { interval: '0s' }, log: { level: 'warn' } });
  const engine = createEngine(config, { registry, scheduler: clock, logger: pino({ level: 'warn' }) });
  await engine.start();
  const alerts: Alert[] = [];
  engine.on('alert', (e) => {
    if (e.type === 'opened') alerts.push(e.alert);
  });
  try {
    const encoded = (function* () {
      for (const m of messages) yield { t: m.t, topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)) };
    })();
    const summary = await replay(engine, clock, encoded);
    const deviceDays = fleet.devices.length * days;
    const scores = scoreDetection(plan.labels, alerts, { deviceDays });
    return {
      name: options.name,
      ...environment(),
      config: { households, devices: fleet.devices.length, days, incidents: incidentCount, seed: options.seed, scenarios: engine.listScenarios().map((s) => s.id) },
      replay: { readings: summary.messages, rejected: summary.rejected, alertEvents: summary.alertEvents, ordersCreated: summary.ordersCreated, wallSeconds: round(summary.wallMs / 1000, 1) },
      incidents: plan.labels.map((l) => ({ kind: l.kind, expectedScenarios: l.expectedScenarios })),
      scores,
      totals: totalsOf(scores, deviceDays),
    };
  } finally {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function totalsOf(scores: readonly ScenarioScore[], deviceDays: number) {
  const incidents = scores.reduce((n, s) => n + s.incidents, 0);
  const detected = scores.reduce((n, s) => n + s.detected, 0);
  const falseAlarms = scores.reduce((n, s) => n + s.falseAlarms, 0);
  return { incidents, detected, missed: incidents - detected, falseAlarms, falseAlarmsPer1000DeviceDays: round((falseAlarms / deviceDays) * 1000, 3) };
}

export type DetectionBenchResult = Awaited<ReturnType<typeof runDetectionBenchmark>>;

const duration = (ms: number | null) => {
  if (ms === null) return 'n/a';
  if (ms < 60_000) return `${round(ms / 1000, 1)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000, 1)} min`;
  return `${round(ms / 3_600_000, 1)} h`;
};

export function detectionMarkdown(r: DetectionBenchResult): string {
  return [
    `### ${r.name} — ${r.config.households.toLocaleString('en')} households (${r.config.devices.toLocaleString('en')} devices), ${r.config.days} days, ${r.config.incidents} injected incidents, seed ${r.config.seed}`,
    '',
    '| scenario | incidents | detected | delay p50 | delay max | false alarms | per 1 000 device-days |',
    '|---|---|---|---|---|---|---|',
    ...r.scores.map((s) => `| ${s.scenarioId} | ${s.incidents} | ${s.detected} | ${duration(s.delayMs.p50)} | ${duration(s.delayMs.max)} | ${s.falseAlarms} | ${round(s.falseAlarmsPer1000DeviceDays, 3)} |`),
    `| **all** | ${r.totals.incidents} | ${r.totals.detected} | | | ${r.totals.falseAlarms} | ${r.totals.falseAlarmsPer1000DeviceDays} |`,
    '',
    `Replay: ${r.replay.readings.toLocaleString('en')} readings (${r.replay.rejected} rejected) in ${r.replay.wallSeconds} s, ${r.replay.alertEvents} alert events, ${r.replay.ordersCreated} orders. ` +
      'Delay is from the incident\'s start to the first matching alert: a scenario\'s own wait (12 h without water, 2 h offline, 30 min running) is part of it.',
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_DETECTION_OPTIONS);
  const result = await runDetectionBenchmark(options);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${options.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const table = detectionMarkdown(result);
  writeFileSync(join(options.out, `${options.name}.md`), table);
  console.log(table);
  process.exit(0);
}
