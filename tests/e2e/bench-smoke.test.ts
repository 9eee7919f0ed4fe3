import { describe, expect, it } from 'vitest';
import { markdown, runBenchmark, DEFAULT_OPTIONS } from '../../bench/run.js';
import { runWebhookComparison, webhookMarkdown } from '../../bench/dispatch-webhooks.js';

/** The benchmark on a tiny configuration, so the harness cannot rot unnoticed. Figures are not asserted: speed lives in bench/. */
describe('benchmark harness', () => {
  it('runs end to end on a tiny fleet and loses nothing', async () => {
    const result = await runBenchmark({ ...DEFAULT_OPTIONS, devices: 300, rate: 400, seconds: 1, messages: 3_000, out: 'unused', name: 'smoke' });
    expect(result.publishToOrder.orders).toBeGreaterThan(0);
    expect(result.publishToOrder.missing).toBe(0);
    expect(result.sustained.lost).toBe(0);
    expect(result.sustained.stageErrors).toBe(0);
    // The warm-up sends every device a reading of its own type: none is a dead letter.
    expect(result.sustained.rejected).toBe(0);
    expect(result.bareHop.received).toBe(result.bareHop.sent);
    expect(result.config.scenarios).toContain('gas-concentration');
    expect(markdown(result)).toContain('publish → order received');
  }, 60_000);

  it('compares publish → order latency with and without a slow webhook receiver, and the receiver gets every order', async () => {
    const result = await runWebhookComparison({ devices: 300, rate: 300, seconds: 1, rounds: 1, delayMs: 50 });
    expect(result.without.orders).toBeGreaterThan(0);
    expect(result.withSlowWebhook.orders).toBeGreaterThan(0);
    expect(result.without.missing + result.withSlowWebhook.missing).toBe(0);
    // Orders reached the slow receiver, signed (the engine stops right after measuring, so some
    // may still wait in the outbox: delivery completeness is tested in tests/integration/sinks).
    expect(result.receiver.received).toBeGreaterThan(0);
    expect(result.receiver.badSignatures).toBe(0);
    expect(webhookMarkdown(result)).toContain('slow webhook');
  }, 90_000);
});
