import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LATENCY_OPTIONS, latencyMarkdown, runLatencyBenchmark, writeLatencyResults } from '../../bench/latency.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * The latency / throughput / peers benchmark on a CI-sized configuration: every system really runs
 * (riskwatch, aedes and mosquitto hops, Node-RED on mosquitto), is driven by the real publisher
 * process over TCP, and must answer every trigger. Figures are not asserted — speed lives in bench/ —
 * but completeness is: a harness that silently measured nothing would pass a figure check.
 */
describe('latency benchmark harness (tiny)', () => {
  const dir = useTempDir('rw-bench-latency-');

  it('measures riskwatch, both bare hops and Node-RED at every rate, loses nothing, and writes JSON, markdown and the CDF picture', async () => {
    const result = await runLatencyBenchmark({
      ...DEFAULT_LATENCY_OPTIONS, devices: 3_000, seconds: 1, rates: '300,1000', throughputRates: '1500', nodeRedThroughputRates: '1000', out: dir(), name: 'tiny',
    });
    const systems = ['bare aedes hop', 'bare mosquitto hop', 'Node-RED', 'riskwatch'];
    expect(result.latency.map((s) => `${s.system}@${s.rate}`)).toEqual(systems.flatMap((s) => [`${s}@300`, `${s}@1000`]));
    for (const step of result.latency) {
      // Every trigger came back: riskwatch as a dispatch order, Node-RED as its alert, a hop as itself.
      expect({ step: `${step.system}@${step.rate}`, missing: step.missing }).toEqual({ step: `${step.system}@${step.rate}`, missing: 0 });
      expect(step.latencyMs.count).toBe(step.triggers);
      expect(step.triggers).toBeGreaterThanOrEqual(step.rate / 10 - 1);
      // Systems that count what they take in took in every reading (a bare broker cannot tell).
      expect(step.lost).toBe(step.system.startsWith('bare') ? null : 0);
    }
    expect(result.throughput.map((t) => t.system)).toEqual(['riskwatch', 'Node-RED']);
    for (const search of result.throughput) expect(search.steps.length).toBeGreaterThan(0);
    expect(result.ratioToAedesHop.map((r) => r.rate)).toEqual([300, 1000]);
    expect(result.riskwatchCounters.rejected).toBe(0);
    expect(result.riskwatchCounters.ordersCreated).toBeGreaterThanOrEqual(result.latency.filter((s) => s.system === 'riskwatch').reduce((n, s) => n + s.triggers, 0));
    expect(result.systems['Node-RED']).toMatch(/^Node-RED 4\.\d+\.\d+ headless/);

    writeLatencyResults(result, dir());
    const json = JSON.parse(readFileSync(join(dir(), 'tiny.json'), 'utf8')) as Record<string, unknown>;
    expect(json).not.toHaveProperty('cdf'); // raw samples go to the picture, not the JSON
    expect(json).toHaveProperty('machine.cpus');
    expect(json).toHaveProperty('versions.node', process.version);
    expect(readFileSync(join(dir(), 'tiny.md'), 'utf8')).toContain('| riskwatch ÷ bare aedes hop | p50 | p99 |');
    expect(existsSync(join(dir(), 'tiny-cdf.svg'))).toBe(true);
    expect(readFileSync(join(dir(), 'tiny-cdf.svg'), 'utf8').match(/<polyline/g)).toHaveLength(8);
    expect(latencyMarkdown(result)).toContain('maximum sustained throughput');
  }, 180_000);
});
