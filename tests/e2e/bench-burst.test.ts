import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BURST_OPTIONS, runBurstBenchmark, writeBurstResults } from '../../bench/burst.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * The burst benchmark on a CI-sized configuration: a real engine with its embedded broker, the
 * devices and the dispatch system in their own process over TCP. Figures are not asserted (speed
 * lives in bench/), completeness is: every alert raised, every probe's order received, every
 * clear's order update received — a harness that measured nothing would pass a figure check.
 */
describe('burst benchmark harness (tiny)', () => {
  const dir = useTempDir('rw-bench-burst-');

  it('raises alerts, clears them in a burst with a new alarm among the clears, and receives every order and update', async () => {
    const result = await runBurstBenchmark({ ...DEFAULT_BURST_OPTIONS, rounds: 2, burst: 50, out: dir(), name: 'tiny-burst' });
    expect(result.alertsNotRaised).toBe(0);
    expect(result.baselineMs.count).toBe(2);
    expect(result.duringBurstMs.count).toBe(2);
    expect(result.missingProbes).toBe(0);
    expect(result.burstsNotDrained).toBe(0);
    expect(result.rounds.map((r) => r.probeAtMs)).toEqual([0, 25]);
    for (const round of result.rounds) {
      expect(round.latencyMs).toBeGreaterThan(0);
      expect(round.burstDrainMs).toBeGreaterThan(0);
    }
    writeBurstResults(result, dir());
    expect(JSON.parse(readFileSync(join(dir(), 'tiny-burst.json'), 'utf8')).config.burst).toBe(50);
    expect(existsSync(join(dir(), 'tiny-burst.md'))).toBe(true);
  }, 120_000);
});
