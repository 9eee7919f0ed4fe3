import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_OPTIONS, detectionMarkdown, runDetectionBenchmark } from '../../../bench/detection.js';

/**
 * The whole chain the detection-quality benchmark runs (bench/detection.ts), CI-sized: a generated
 * city with injected incidents → its recording → replay through the engine with the shipped
 * scenarios on a virtual clock → the alerts scored against the simulator's labels.
 */
describe('detection quality on a simulated city (simulate → replay → score)', () => {
  it('catches every labelled incident its scenarios can see, with no false alarm from normal traffic', async () => {
    const result = await runDetectionBenchmark({ ...DEFAULT_DETECTION_OPTIONS, households: 200, days: 2, incidents: 12, seed: 11 });
    expect(result.replay.rejected).toBe(0);
    expect(result.replay.readings).toBeGreaterThan(100_000);
    const expected = result.incidents.filter((l) => l.expectedScenarios.length > 0);
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(result.scores.length).toBeGreaterThanOrEqual(4);
    for (const score of result.scores) {
      expect({ scenario: score.scenarioId, missed: score.incidents - score.detected }).toEqual({ scenario: score.scenarioId, missed: 0 });
      expect({ scenario: score.scenarioId, falseAlarms: score.falseAlarms }).toEqual({ scenario: score.scenarioId, falseAlarms: 0 });
    }
    expect(result.totals).toMatchObject({ missed: 0, falseAlarms: 0 });
    expect(result.totals.incidents).toBe(result.scores.reduce((n, s) => n + s.incidents, 0));
    expect(detectionMarkdown(result)).toContain('| **all** |');
  });
});
