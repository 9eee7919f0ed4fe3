import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTriggerBudget, DEFAULT_LATENCY_OPTIONS, latencyMarkdown, runLatencyBenchmark, triggersPerStep, writeLatencyResults } from '../../bench/latency.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * The latency / throughput / peers benchmark on a CI-sized configuration: every system really runs
 * (riskwatch, the aedes, durable and mosquitto hops, Node-RED on mosquitto), is driven by the real
 * publisher process over TCP, and must answer every trigger. Figures are not asserted — speed lives
 * in bench/ — but completeness is: a harness that silently measured nothing would pass a figure check.
 */
describe('latency benchmark harness (tiny)', () => {
  const dir = useTempDir('rw-bench-latency-');

  it('measures riskwatch, the bare and durable hops and Node-RED at every rate, loses nothing, and writes JSON, markdown and the CDF picture', async () => {
    const result = await runLatencyBenchmark({
      ...DEFAULT_LATENCY_OPTIONS, devices: 3_000, seconds: 1, rates: '300,1000', throughputRates: '1500', nodeRedThroughputRates: '1000', out: dir(), name: 'tiny',
    });
    const systems = ['bare aedes hop', 'durable hop', 'bare mosquitto hop', 'Node-RED', 'riskwatch'];
    expect(result.latency.map((s) => `${s.system}@${s.rate}`)).toEqual(systems.flatMap((s) => [`${s}@300`, `${s}@1000`]));
    for (const step of result.latency) {
      // Every trigger came back: riskwatch as a dispatch order, Node-RED as its alert, a hop as itself.
      expect({ step: `${step.system}@${step.rate}`, missing: step.missing }).toEqual({ step: `${step.system}@${step.rate}`, missing: 0 });
      expect(step.latencyMs.count).toBe(step.triggers);
      expect(step.triggers).toBeGreaterThanOrEqual(step.rate / 10 - 1);
      // Systems that count what they take in took in every reading (a hop cannot tell).
      expect(step.lost).toBe(step.system.endsWith('hop') ? null : 0);
      // The publisher keeps pace with its timer (a 1 s step: within one tick or so of the rate).
      expect(step.achievedRate).toBeGreaterThanOrEqual(step.rate * 0.95);
    }
    // Each system starts with no device in alarm, and every trigger it was sent keeps its device in alarm.
    for (const system of systems) {
      const [first, second] = result.latency.filter((s) => s.system === system);
      expect({ system, inAlarm: [first!.inAlarm, second!.inAlarm] }).toEqual({ system, inAlarm: [first!.triggers, first!.triggers + second!.triggers] });
    }
    // The durable hop committed one row per trigger it answered.
    expect(result.durableHopCommitted).toBe(result.latency.filter((s) => s.system === 'durable hop').reduce((n, s) => n + s.triggers, 0));
    expect(result.systems['durable hop']).toMatch(/^aedes 1\.2\.0 .*SQLite/);
    expect(result.throughput.map((t) => t.system)).toEqual(['riskwatch', 'Node-RED']);
    for (const search of result.throughput) expect(search.steps.length).toBeGreaterThan(0);
    expect(result.ratioToAedesHop.map((r) => r.rate)).toEqual([300, 1000]);
    expect(result.ratioToDurableHop.map((r) => r.rate)).toEqual([300, 1000]);
    expect(result.ratioToDurableHop.every((r) => r.p50 !== null && r.p50 > 0)).toBe(true);
    expect(result.riskwatchCounters.rejected).toBe(0);
    expect(result.riskwatchCounters.ordersCreated).toBeGreaterThanOrEqual(result.latency.filter((s) => s.system === 'riskwatch').reduce((n, s) => n + s.triggers, 0));
    expect(result.systems['Node-RED']).toMatch(/^Node-RED 4\.\d+\.\d+ headless/);

    writeLatencyResults(result, dir());
    const json = JSON.parse(readFileSync(join(dir(), 'tiny.json'), 'utf8')) as Record<string, unknown>;
    expect(json).not.toHaveProperty('cdf'); // raw samples go to the picture, not the JSON
    expect(json).toHaveProperty('machine.cpus');
    expect(json).toHaveProperty('versions.node', process.version);
    const markdown = readFileSync(join(dir(), 'tiny.md'), 'utf8');
    expect(markdown).toContain("| riskwatch ÷ durable hop (the engine's own overhead) | p50 | p99 |");
    expect(markdown).toContain('| riskwatch ÷ bare aedes hop (information: that hop commits nothing) | p50 | p99 |');
    expect(markdown).toMatch(/\| p50 ≤ 1\.5× the durable hop at 1,000 msg\/s/);
    expect(markdown).toContain('≥ 150,000 msg/s sustained');
    expect(existsSync(join(dir(), 'tiny-cdf.svg'))).toBe(true);
    expect(readFileSync(join(dir(), 'tiny-cdf.svg'), 'utf8').match(/<polyline/g)).toHaveLength(10);
    expect(latencyMarkdown(result)).toContain('maximum sustained throughput');
  }, 180_000);
});

describe('trigger budget', () => {
  it('takes min(100, rate/10) triggers a second plus one per step, each device once', () => {
    // Quick steps give ≥ 1 000 samples at every default rate, --full ones ≥ 1 500.
    for (const rate of [1_000, 5_000, 20_000, 50_000]) {
      expect(triggersPerStep(rate, 10) - 1).toBeGreaterThanOrEqual(1_000);
      expect(triggersPerStep(rate, 15) - 1).toBeGreaterThanOrEqual(1_500);
    }
    expect(triggersPerStep(300, 1)).toBe(31);
  });

  it('accepts the default --full plan on 100 000 devices and refuses, before anything starts, a plan the fleet cannot feed', () => {
    const full = { riskwatch: [1e3, 5e3, 2e4, 5e4, 5e4, 7.5e4, 1e5, 1.25e5, 1.5e5, 1.75e5, 2e5, 2.5e5], 'Node-RED': [1e3, 5e3, 2e4, 5e4, 5e3, 1e4, 2e4, 3e4, 4e4, 5e4, 6e4, 7.5e4, 1e5] };
    expect(() => checkTriggerBudget(full, 15, 28_571, 100_000)).not.toThrow();
    expect(() => checkTriggerBudget(full, 30, 28_571, 100_000)).toThrow(/riskwatch may need 36,012 trigger devices \(12 steps of 30 s\).* use --devices 126042 or more/);
  });
});
