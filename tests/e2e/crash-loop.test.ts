import { describe, expect, it } from 'vitest';
import { crashLoopMarkdown, DEFAULT_CRASH_LOOP_OPTIONS, runCrashLoop } from '../../bench/crash-loop.js';

/**
 * The crash loop on a small scale (bench/crash-loop.ts runs ≥ 20 kills): the built engine under
 * ~1 000 msg/s, killed with SIGKILL three times at random moments and restarted, with labelled
 * incidents meanwhile; every invariant of "no finding is lost in a crash" must hold.
 */
describe('crash loop (kill -9 under load)', () => {
  it('loses no alert, order or labelled incident, and fires every duration within its bound', async () => {
    const result = await runCrashLoop({
      ...DEFAULT_CRASH_LOOP_OPTIONS, durationSeconds: 40, kills: 3, incidents: 8, checkpointInterval: '1s', out: 'unused', name: 'crash-loop-smoke',
    });
    const report = crashLoopMarkdown(result);
    expect(result.violations, report).toEqual({
      alertsWithoutOrder: [], alertsWithTwoOrders: [], ordersNotReceived: [], receivedNotInDatabase: [], missedIncidents: [], lateIncidents: [],
    });
    expect(Object.values(result.invariants).every(Boolean)).toBe(true);
    expect(result.kills).toHaveLength(3);
    expect(result.fleet.messagesPerSecond).toBeGreaterThan(700);
    expect(result.store.orders).toBeGreaterThanOrEqual(8);
    expect(result.store.exitCode).toBe(0);
  }, 120_000);
});
