import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Level, Verdict } from '../../src/contracts/level.js';
import type { ActiveHours } from '../../src/contracts/scenario.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { activeTimeBetween, type InactivityScenario, type OfflineScenario } from '../../src/models/index.js';
import { makeContext, makeReading } from '../helpers/device-context.js';
import { alertLevel, eventsSince, expectConsistentHistory, ladderRig } from './ladder-rig.js';

/**
 * The duration ladders (offline, inactivity): a level is reached once its duration has passed —
 * of silence, of inactive time — and a reading that shortens the duration lowers the alert only
 * to the level the remaining duration still reaches. Over random ladders, readings (some
 * delivered late: an old reading arriving now) and timings on a manual clock:
 *
 * - the alert is always at the level the duration reaches (so, if level L is reached, an alert at
 *   ≥ L is open), and never cleared while one is reached;
 * - at most one open alert per key, and its history records every change in order.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-11-23T00:00:00+08:00');

interface Rung {
  level: Level;
  ms: number;
}

/** 1–4 levels, durations growing with the level (as `durationLadder` requires). */
function rungs(durations: number[]): fc.Arbitrary<Rung[]> {
  return fc
    .record({
      levels: fc.subarray(['blue', 'yellow', 'orange', 'red'] as Level[], { minLength: 1 }),
      ms: fc.uniqueArray(fc.constantFrom(...durations), { minLength: 4, maxLength: 4 }),
    })
    .map(({ levels, ms }) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return levels.map((level, i) => ({ level, ms: sorted[i]! }));
    });
}

const levelsOf = (ladder: Rung[]) => Object.fromEntries(ladder.map((r) => [r.level, r.ms]));

/** The highest level `elapsedMs` reaches, or ok. */
function reached(ladder: Rung[], elapsedMs: number): Verdict {
  let verdict: Verdict = 'ok';
  for (const rung of ladder) if (rung.ms <= elapsedMs) verdict = rung.level;
  return verdict;
}

const quiet = { cooldownMs: 0, flapping: { maxChanges: 0, windowMs: 0 } };

/** A step: time passes, then maybe a reading whose event time is `lag` before now. */
interface Step {
  after: number;
  reading: boolean;
  active: boolean;
  lag: number;
}

const stepList: fc.Arbitrary<Step[]> = fc.array(
  fc.record({
    after: fc.constantFrom(0, MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 8 * HOUR),
    reading: fc.boolean(),
    active: fc.boolean(),
    lag: fc.constantFrom(0, 0, 0, 10 * MINUTE, HOUR, 5 * HOUR, 20 * HOUR),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('offline ladder (property)', () => {
  const detector = makeContext({ deviceId: 'sd-1', type: 'smoke_detector' });

  it('the alert is the level the silence since the newest event time reaches; a late message never clears it early', () => {
    fc.assert(
      fc.property(rungs([20 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 24 * HOUR]), stepList, (ladder, list) => {
        const scenario: OfflineScenario = {
          id: 'offline', name: 'Offline', category: 'device', model: 'offline', appliesTo: { deviceTypes: ['smoke_detector'] },
          keyBy: 'device', alert: quiet, dispatch: true, levels: levelsOf(ladder),
        };
        const clock = new ManualScheduler(T0);
        const rig = ladderRig(scenario, clock);
        rig.model.onReading(makeReading(detector, T0, {}));
        let lastSeen = T0;
        for (const step of list) {
          clock.advanceBy(step.after);
          const before = rig.events.length;
          if (step.reading) {
            const ts = clock.now() - step.lag;
            rig.model.onReading(makeReading(detector, ts, {}, clock.now()));
            lastSeen = Math.max(lastSeen, ts);
          }
          const expected = reached(ladder, clock.now() - lastSeen);
          for (const e of eventsSince(rig, before, 'cleared')) expect(expected, `cleared at ${e.at - T0} while silent`).toBe('ok');
          clock.advanceBy(0); // what is due now runs in this turn
          expect(alertLevel(rig, 'sd-1'), `at ${clock.now() - T0}, silent since ${lastSeen - T0}`).toBe(expected);
        }
        expectConsistentHistory(rig);
        rig.model.dispose();
        rig.manager.dispose();
      }),
      { numRuns: 300 },
    );
  });
});

describe('inactivity ladder (property)', () => {
  const meter = makeContext({ deviceId: 'wm-1', type: 'water_meter', subject: { id: 'hh-1', livingAlone: true, age: 80 } });

  it('the alert is the level the inactive time reaches; a late activity never clears it early', () => {
    const ladders = rungs([2 * HOUR, 4 * HOUR, 8 * HOUR, 12 * HOUR, 24 * HOUR]);
    const windows = fc.constantFrom<ActiveHours | undefined>(undefined, { from: '06:00', to: '22:00' });
    const maxSilences = fc.constantFrom(HOUR, 3 * HOUR);
    fc.assert(
      fc.property(ladders, windows, maxSilences, stepList, (ladder, window, maxSilenceMs, list) => {
        const scenario: InactivityScenario = {
          id: 'no-water', name: 'No water', category: 'elderly_care', model: 'inactivity', appliesTo: { deviceTypes: ['water_meter'] },
          keyBy: 'subject', alert: quiet, dispatch: true, active: 'metrics.flow_lpm > 0.1', levels: levelsOf(ladder), maxSilenceMs,
          ...(window && { activeHours: window }),
        };
        const clock = new ManualScheduler(T0);
        const rig = ladderRig(scenario, clock);
        const between = (from: number, to: number) => activeTimeBetween(from, to, window, meter.timeZone);
        // The model's definition (inactivity.ts): active time since the last activity up to
        // min(now, lastSeen + maxSilence), less the over-long parts of gaps between readings.
        let lastActive = T0;
        let lastSeen = T0;
        let excluded = 0;
        rig.model.onReading(makeReading(meter, T0, { flow_lpm: 0 }));
        for (const step of list) {
          clock.advanceBy(step.after);
          const before = rig.events.length;
          if (step.reading) {
            const ts = clock.now() - step.lag;
            rig.model.onReading(makeReading(meter, ts, { flow_lpm: step.active ? 4.2 : 0 }, clock.now()));
            if (ts > lastSeen) {
              const silentFrom = lastSeen + maxSilenceMs;
              if (!step.active && ts > silentFrom) excluded += between(Math.max(silentFrom, lastActive), ts);
              lastSeen = ts;
            }
            if (step.active && ts > lastActive) {
              lastActive = ts;
              excluded = 0;
            }
          }
          const inactive = between(lastActive, Math.min(clock.now(), lastSeen + maxSilenceMs)) - excluded;
          const expected = reached(ladder, inactive);
          for (const e of eventsSince(rig, before, 'cleared')) {
            expect(expected, `cleared at ${e.at - T0} with ${inactive} ms inactive`).toBe('ok');
          }
          clock.advanceBy(0);
          expect(alertLevel(rig, 'hh-1'), `at ${clock.now() - T0}: ${inactive} ms inactive`).toBe(expected);
        }
        expectConsistentHistory(rig);
        rig.model.dispose();
        rig.manager.dispose();
      }),
      { numRuns: 300 },
    );
  });
});
