import { describe, expect, it } from 'vitest';
import { ingestFuzzMarkdown, runIngestFuzzBenchmark } from '../../../bench/ingest-fuzz.js';

// The benchmark's harness at a CI size, so `npm run bench:fuzz` cannot rot; the property test
// (tests/property/ingest-fuzz.test.ts) is where the 20 000 messages are checked.
describe('bench/ingest-fuzz.ts (tiny)', () => {
  it('fuzzes, checks every message, and reports rates against the valid-only baseline', async () => {
    const result = await runIngestFuzzBenchmark({ messages: 3_000, baseline: 300, seed: 5, chunk: 1_000, out: '', name: 'ingest-fuzz' });
    expect(result.passed).toBe(true);
    expect(result.crashes).toEqual({ thrown: 0, internal: 0, stageErrors: 0, violations: 0 });
    expect(Object.values(result.routes).reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(result.fuzz.messagesPerSecond).toBeGreaterThan(0);
    expect(result.baselineRun.messages).toBe(300);
    expect(result.fuzzToBaseline).toBeGreaterThan(0);
    expect(ingestFuzzMarkdown(result)).toMatch(/3,000 fuzzed messages through ingest .*: passed/);
  }, 60_000);
});
