import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_OPTIONS, replayMarkdown, runReplayBenchmark } from '../../bench/replay.js';

/**
 * The replay-throughput benchmark on a CI-sized city, so the harness cannot rot. Its speed against
 * the target is not asserted (speed lives in bench/results); that it replayed every reading of the
 * recording, with the alerts and orders its injected incidents call for and no false alarm, is.
 */
describe('replay-throughput benchmark harness', () => {
  it('replays every reading of a simulated recording through the engine and catches every incident it injected', async () => {
    const result = await runReplayBenchmark({ ...DEFAULT_REPLAY_OPTIONS, households: 80, hours: 24, incidents: 6, rounds: 1, out: 'unused', name: 'smoke' });

    const { messages, readings } = result.recording;
    expect(readings).toBeGreaterThan(10_000);
    expect(result.replay).toMatchObject({ messages, rejected: 0, outOfOrder: 0, stageErrors: 0 });
    // The decoder alone finds every reading in the same messages.
    expect(result.decode).toEqual({ readings, rejected: 0 });
    // The whole path and the same from memory do the same work.
    expect(result.replay.samePipelineFromMemory).toEqual({ alertEvents: result.replay.alertEvents, ordersCreated: result.replay.ordersCreated });

    // Six incidents, one of each kind; those a shipped scenario can see within the day are caught.
    expect(result.detection.incidents).toBe(6);
    expect(result.detection.expected).toBeGreaterThanOrEqual(4);
    expect(result.detection.detected).toBe(result.detection.expected);
    expect(result.detection.falseAlarms).toBe(0);
    for (const score of result.detection.scenarios) expect({ scenario: score.scenarioId, missed: score.incidents - score.detected }).toEqual({ scenario: score.scenarioId, missed: 0 });
    expect(result.replay.alertsOpened).toBeGreaterThanOrEqual(result.detection.expected);
    expect(result.replay.ordersCreated).toBeGreaterThan(0);
    expect(result.replay.detections).toBeGreaterThan(result.replay.alertEvents);

    for (const stage of Object.values(result.stages)) {
      expect(stage.rounds).toHaveLength(1);
      expect(stage.readingsPerSecond).toBeGreaterThan(0);
      expect(stage.messagesPerSecond).toBe(stage.readingsPerSecond); // no batches: one reading a message
    }
    // Reading the file and decoding are each only part of the whole.
    expect(result.stages.read.seconds).toBeLessThan(result.stages.whole.seconds);
    expect(result.stages.decode.seconds).toBeLessThan(result.stages.pipeline.seconds);
    expect(result.heap.gcDuringWhole.count).toBeGreaterThanOrEqual(0);
    expect(result.heap.engineHeldAfterWholeMiB).toBeGreaterThan(0);
    expect(result.target).toMatchObject({ readingsPerSecond: 1_000_000 });
    expect(result).toMatchObject({ readings, readingsPerSecond: result.stages.whole.readingsPerSecond, alertEvents: result.replay.alertEvents, ordersCreated: result.replay.ordersCreated });
    expect(Object.keys(result.config.deviceTypes).sort()).toEqual(['door_sensor', 'gas_detector', 'gas_meter', 'smoke_detector', 'water_meter']);

    const table = replayMarkdown(result);
    for (const row of ['| whole: `riskwatch replay` path', '| … the same from memory (no file)', '| … read the file only', '| … decode + validate only', '| incidents injected']) {
      expect(table).toContain(row);
    }
    expect(table).toContain(`${result.recording.readings.toLocaleString('en')} readings`);
    expect(table).toContain(`| 6 / ${result.detection.expected} / ${result.detection.expected}; 0 |`);
  }, 30_000);

  it('counts readings, not messages, when meters report in NB-IoT batches', async () => {
    const result = await runReplayBenchmark({ ...DEFAULT_REPLAY_OPTIONS, households: 40, hours: 6, incidents: 0, batch: true, rounds: 1, out: 'unused', name: 'batch' });
    expect(result.recording.readings).toBeGreaterThan(result.recording.messages);
    expect(result.replay).toMatchObject({ messages: result.recording.messages, rejected: 0 });
    expect(result.decode.readings).toBe(result.recording.readings);
    expect(result.stages.whole.readingsPerSecond).toBeGreaterThan(result.stages.whole.messagesPerSecond);
    expect(replayMarkdown(result)).toContain('NB-IoT batches');
  }, 30_000);
});
