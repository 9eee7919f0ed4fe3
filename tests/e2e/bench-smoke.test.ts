import { describe, expect, it } from 'vitest';
import { markdown, runBenchmark } from '../../bench/run.js';

/** The benchmark on a tiny configuration, so the harness cannot rot unnoticed. Figures are not asserted: speed lives in bench/. */
describe('benchmark harness', () => {
  it('runs end to end on a tiny fleet and loses nothing', async () => {
    const result = await runBenchmark({ devices: 300, rate: 400, seconds: 1, messages: 3_000, out: 'unused', name: 'smoke' });
    expect(result.publishToOrder.orders).toBeGreaterThan(0);
    expect(result.publishToOrder.missing).toBe(0);
    expect(result.sustained.lost).toBe(0);
    expect(result.sustained.stageErrors).toBe(0);
    expect(result.bareHop.received).toBe(result.bareHop.sent);
    expect(result.config.scenarios).toContain('gas-concentration');
    expect(markdown(result)).toContain('publish → order received');
  }, 60_000);
});
