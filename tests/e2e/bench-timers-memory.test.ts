import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMER_OPTIONS, runTimerBenchmark, timersMarkdown } from '../../bench/timers.js';
import { memoryMarkdown, runMemoryBenchmark } from '../../bench/memory.js';
import { parseFlags, percentiles } from '../../bench/bench-environment.js';

/**
 * The timer-accuracy and memory benchmarks on CI-sized fleets, so the harnesses cannot rot. The
 * figures against their targets are not asserted (speed lives in bench/); that every timer fired
 * once, was measured and nothing was lost is.
 */
describe('timer-accuracy benchmark harness', () => {
  it('arms one offline timer per device on the real clock and measures every firing', async () => {
    const devices = 2_000;
    const result = await runTimerBenchmark({ ...DEFAULT_TIMER_OPTIONS, devices, windowSeconds: 1, leadSeconds: 1, graceSeconds: 10, out: 'unused', name: 'smoke' });

    expect(result.fired).toMatchObject({ armed: devices, opened: devices, measured: devices, lost: 0, announcedOnlyAtStop: 0, armedLateSkipped: 0, otherAlertEvents: 0, stageErrors: 0 });
    expect(result.feed.rejected).toBe(0);
    expect(result.feed.armedAfterDue).toBe(0);
    for (const lateness of [result.detectionLatenessMs, result.announcementLatenessMs]) {
      expect(lateness.count).toBe(devices);
      // A timer never fires before it is due (nearest-rank p50 ≤ p99 ≤ max follows from sorting).
      expect(lateness.p50).toBeGreaterThanOrEqual(0);
      expect(lateness.p99).toBeLessThanOrEqual(lateness.max);
      expect(Number.isFinite(lateness.max)).toBe(true);
    }
    // The alert is announced after it was detected and committed.
    expect(result.announcementLatenessMs.p50).toBeGreaterThanOrEqual(result.detectionLatenessMs.p50);
    expect(result.baseline).toMatchObject({ armed: devices, fired: devices, early: 0 });
    expect(result.eventLoopDelayMs.max).toBeGreaterThan(0);
    // Announced over a stretch of the window: a positive rate, against 2 000 due in one second.
    expect(result.announcedPerSecond).toBeGreaterThan(0);
    expect(result.demandedPerSecond).toBe(devices);
    expect(result.config.scenario).toMatchObject({ copyOf: 'meter-offline', model: 'offline', dispatch: false, afterSeconds: 2 });
    expect(result.versions.node).toBe(process.version);
    expect(timersMarkdown(result)).toContain('2,000 / 2,000 / 0 (0 announced by the stop)');
  }, 60_000);
});

describe('memory benchmark harness', () => {
  it('measures positive heap per device with every shipped scenario holding state and no reading rejected', async () => {
    const devices = 2_000;
    const result = await runMemoryBenchmark(devices, 'smoke');

    expect(result.readings).toMatchObject({ sent: devices, received: devices, rejected: 0, stageErrors: 0 });
    // Quiet readings: nothing in them opens an alert.
    expect(result.readings.openAlerts).toBe(0);
    expect(result.config.scenarios).toEqual(expect.arrayContaining(['meter-offline', 'elderly-no-water', 'gas-concentration', 'smoke-alarm']));
    expect(Object.keys(result.config.deviceTypes)).toEqual(expect.arrayContaining(['water_meter', 'gas_detector', 'smoke_detector']));
    expect(result.heap.registryBytesPerDevice).toBeGreaterThan(0);
    expect(result.heap.engineStateBytesPerDevice).toBeGreaterThan(0);
    // Each part is rounded on its own: the sum may differ from the rounded total by one byte.
    expect(Math.abs(result.heap.perDeviceBytes - result.heap.registryBytesPerDevice - result.heap.engineStateBytesPerDevice)).toBeLessThanOrEqual(1);
    expect(result.gcExposed).toBe(true);
    expect(memoryMarkdown([result])).toContain('2,000 devices');
  }, 60_000);
});

describe('benchmark helpers', () => {
  it('takes nearest-rank percentiles', () => {
    const p = percentiles(Float64Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(p).toMatchObject({ count: 1000, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 500.5 });
  });

  it('parses kebab-case flags into typed options and refuses unknown ones', () => {
    expect(parseFlags(['--window-seconds', '5', '--full', '--name', 'x'], DEFAULT_TIMER_OPTIONS)).toMatchObject({ windowSeconds: 5, full: true, name: 'x', devices: 0 });
    expect(() => parseFlags(['--windw', '5'], DEFAULT_TIMER_OPTIONS)).toThrow(/unknown flag/);
  });
});
