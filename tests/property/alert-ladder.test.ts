import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type Level, type Verdict } from '../../src/contracts/level.js';
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import type { ThresholdScenario } from '../../src/models/index.js';
import { loadScenarioFile } from '../../src/scenarios/loader.js';
import { makeContext, makeReading } from '../helpers/device-context.js';
import { alertLevel, eventsSince, expectConsistentHistory, ladderRig, rank, type LadderRig } from './ladder-rig.js';

/**
 * The threshold ladder's invariants (README, "Alert semantics"), over random ladders, reading
 * sequences and timings on a manual clock:
 *
 * - at most one open alert per key, and its history records every change in order;
 * - if the latest readings satisfy level L (its condition, held for its `for`), an alert at ≥ L is
 *   open — outside a cooldown, which only delays;
 * - an alert clears only when every level has let go: no raise condition holds on the newest
 *   reading, and every level whose condition held has seen its reset hold since;
 * - and, without cooldown and flapping guard, the alert is exactly the reference ladder below.
 */

const detectors = [0, 1].map((i) => makeContext({ deviceId: `gd-${i}`, type: 'gas_detector' }));

/** One level of a generated ladder: `value >= raiseAt`, reset `value < resetBelow` (or default). */
interface Rung {
  level: Level;
  raiseAt: number;
  forMs: number;
  resetBelow: number | undefined;
}

interface Ladder {
  rungs: Rung[]; // highest level first, as the model checks them
  maxGapMs: number;
}

const ladders: fc.Arbitrary<Ladder> = fc
  .record({
    present: fc.subarray([...LEVELS], { minLength: 1 }),
    raiseAt: fc.uniqueArray(fc.integer({ min: 2, max: 35 }), { minLength: 4, maxLength: 4 }),
    forMs: fc.array(fc.constantFrom(0, 0, 10_000, 60_000), { minLength: 4, maxLength: 4 }),
    resetBy: fc.array(fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
    maxGapMs: fc.constantFrom(30_000, 3_600_000),
  })
  .map(({ present, raiseAt, forMs, resetBy, maxGapMs }) => {
    const thresholds = [...raiseAt].sort((a, b) => a - b); // nested: a higher level needs more gas
    const rungs = present.map((level, i) => ({
      level, raiseAt: thresholds[i]!, forMs: forMs[i]!, resetBelow: resetBy[i] === undefined ? undefined : thresholds[i]! - resetBy[i]!,
    }));
    return { rungs: rungs.reverse(), maxGapMs };
  });

function scenarioOf(ladder: Ladder, alert: ThresholdScenario['alert']): ThresholdScenario {
  const levels: ThresholdScenario['levels'] = {};
  const forMs: ThresholdScenario['for'] = {};
  const reset: ThresholdScenario['reset'] = {};
  for (const rung of ladder.rungs) {
    levels[rung.level] = `value >= ${rung.raiseAt}`;
    if (rung.forMs > 0) forMs[rung.level] = rung.forMs;
    if (rung.resetBelow !== undefined) reset[rung.level] = `value < ${rung.resetBelow}`;
  }
  return {
    id: 'gas', name: 'Gas', category: 'gas', model: 'threshold', appliesTo: { deviceTypes: ['gas_detector'] }, keyBy: 'device',
    alert, dispatch: true, metric: 'gas_lel_pct', levels, for: forMs, reset, maxGapMs: ladder.maxGapMs,
  };
}

type Step = { kind: 'reading'; device: number; after: number; value: number } | { kind: 'wait'; after: number };

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({
      kind: fc.constant('reading' as const),
      device: fc.integer({ min: 0, max: 1 }),
      after: fc.constantFrom(0, 1_000, 2_000, 15_000, 15_000, 45_000, 90_000),
      // Values near every generated threshold and reset are likely enough at this range.
      value: fc.integer({ min: 0, max: 40 }),
    }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), after: fc.constantFrom(5_000, 30_000, 60_000, 300_000) }) },
  ),
  { minLength: 1, maxLength: 50 },
);

/** The ladder as README's "Alert semantics" words it, per key, on plain arrays. */
class ReferenceLadder {
  private readonly readings: Array<{ ts: number; value: number }> = [];
  private readonly latched = new Set<Level>();
  verdict: Verdict = 'ok';

  constructor(private readonly ladder: Ladder) {}

  private raises = (rung: Rung, value: number) => value >= rung.raiseAt;
  private resets = (rung: Rung, value: number) => (rung.resetBelow === undefined ? !this.raises(rung, value) : value < rung.resetBelow);

  /** Its condition held on the newest reading and, with a `for`, since a time at least `for` before `t` (readings ≤ maxGap apart). */
  satisfied(rung: Rung, t: number): boolean {
    const last = this.readings.at(-1);
    if (!last || !this.raises(rung, last.value)) return false;
    if (rung.forMs === 0) return true;
    let start = this.readings.length - 1;
    const continues = (i: number) =>
      this.raises(rung, this.readings[i - 1]!.value) && this.readings[i]!.ts - this.readings[i - 1]!.ts <= this.ladder.maxGapMs;
    while (start > 0 && continues(start)) start--;
    const due = this.readings[start]!.ts + rung.forMs;
    // A duration completes on evidence only: within maxGap of the newest reading.
    return due <= t && due - last.ts <= this.ladder.maxGapMs;
  }

  isLatched(level: Level): boolean {
    return this.latched.has(level);
  }

  anyLatched(): boolean {
    return this.latched.size > 0;
  }

  read(ts: number, value: number): void {
    this.readings.push({ ts, value });
    for (const rung of this.ladder.rungs) {
      if (this.raises(rung, value)) this.latched.add(rung.level);
      else if (this.resets(rung, value)) this.latched.delete(rung.level);
    }
    this.decide(ts);
  }

  /**
   * Up: the highest level above the verdict that is satisfied. Down: the highest latched level,
   * never above the verdict; ok only when nothing is latched.
   */
  decide(t: number): void {
    const up = this.ladder.rungs.find((r) => rank(r.level) > rank(this.verdict) && this.satisfied(r, t));
    if (up) {
      this.verdict = up.level;
      return;
    }
    if (this.verdict === 'ok') return;
    const top = this.ladder.rungs.find((r) => this.latched.has(r.level));
    this.verdict = top === undefined ? 'ok' : rank(top.level) < rank(this.verdict) ? top.level : this.verdict;
  }
}

/** Drives `steps` through the rig, calling `check` after each with the references and the events it caused. */
function drive(rig: LadderRig, ladder: Ladder, clock: ManualScheduler, list: Step[], check: (refs: ReferenceLadder[], caused: number) => void) {
  const refs = detectors.map(() => new ReferenceLadder(ladder));
  for (const step of list) {
    clock.advanceBy(step.after);
    for (const ref of refs) ref.decide(clock.now());
    const before = rig.events.length;
    if (step.kind === 'reading') {
      rig.model.onReading(makeReading(detectors[step.device]!, clock.now(), { gas_lel_pct: step.value }));
      refs[step.device]!.read(clock.now(), step.value);
    }
    check(refs, before);
  }
}

describe('threshold alert ladder (property)', () => {
  it('without cooldown or flapping guard: the alert is the reference ladder, and every invariant holds', () => {
    fc.assert(
      fc.property(ladders, steps, (ladder, list) => {
        const clock = new ManualScheduler(0);
        const rig = ladderRig(scenarioOf(ladder, { cooldownMs: 0, flapping: { maxChanges: 0, windowMs: 0 } }), clock);
        drive(rig, ladder, clock, list, (refs, caused) => {
          const t = clock.now();
          detectors.forEach((ctx, i) => {
            const key = ctx.device.id;
            const ref = refs[i]!;
            const level = alertLevel(rig, key);
            // If the latest readings satisfy level L (with its `for`), an alert at ≥ L is open.
            for (const rung of ladder.rungs) {
              if (ref.satisfied(rung, t)) expect(rank(level), `${rung.level} holds for ${key} at ${t}`).toBeGreaterThanOrEqual(rank(rung.level));
            }
            // And it is exactly where the reference ladder says.
            expect(level, `alert of ${key} at ${t}`).toBe(ref.verdict);
          });
          // A clear only when every level let go.
          for (const cleared of eventsSince(rig, caused, 'cleared')) {
            const ref = refs[detectors.findIndex((c) => c.device.id === cleared.alert.key)]!;
            expect(ref.anyLatched(), `cleared ${cleared.alert.key} at ${t} with a level latched`).toBe(false);
          }
        });
        expectConsistentHistory(rig);
        rig.model.dispose();
        rig.manager.dispose();
      }),
      { numRuns: 300 },
    );
  });

  it('with cooldown and flapping guard: a satisfied level is open once any cooldown ends; clears follow the model', () => {
    const alertOptions = fc.record({
      cooldownMs: fc.constantFrom(0, 60_000, 300_000),
      flapping: fc.constantFrom({ maxChanges: 0, windowMs: 0 }, { maxChanges: 3, windowMs: 600_000 }),
    });
    fc.assert(
      fc.property(ladders, alertOptions, steps, (ladder, alert, list) => {
        const clock = new ManualScheduler(0);
        const rig = ladderRig(scenarioOf(ladder, alert), clock);
        drive(rig, ladder, clock, list, (refs, caused) => {
          const t = clock.now();
          // A reading clears an alert only when every level let go.
          for (const cleared of eventsSince(rig, caused, 'cleared')) {
            const ref = refs[detectors.findIndex((c) => c.device.id === cleared.alert.key)]!;
            expect(ref.anyLatched(), `cleared ${cleared.alert.key} at ${t} with a level latched`).toBe(false);
          }
          detectors.forEach((ctx, i) => {
            const key = ctx.device.id;
            const level = alertLevel(rig, key);
            const lastClear = rig.events.filter((e) => e.alert.key === key && e.type === 'cleared').at(-1);
            for (const rung of ladder.rungs) {
              if (!refs[i]!.satisfied(rung, t)) continue;
              // Cooldown delays a level at or below the cleared peak (never red); nothing else may.
              const cooling = lastClear !== undefined && t < lastClear.at + alert.cooldownMs
                && rung.level !== 'red' && rank(rung.level) <= rank(lastClear.alert.peakLevel);
              if (!cooling) expect(rank(level), `${rung.level} holds for ${key} at ${t}`).toBeGreaterThanOrEqual(rank(rung.level));
            }
          });
        });
        // Every clear (also one released after flapping) came while the model's verdict was ok.
        rig.events.forEach((e, i) => e.type === 'cleared' && expect(rig.modelVerdictAt[i]).toBe('ok'));
        expectConsistentHistory(rig);
        rig.model.dispose();
        rig.manager.dispose();
      }),
      { numRuns: 300 },
    );
  });
});

describe('the shipped gas-concentration scenario (property)', () => {
  const shipped = loadScenarioFile('rules/gas-concentration.yaml') as ThresholdScenario;
  const readings = fc.array(
    fc.record({
      after: fc.constantFrom(1_000, 2_000, 15_000, 15_000, 15_000, 60_000, 120_000),
      // Mostly a leak lingering between the thresholds, where the ladder's edges are.
      value: fc.constantFrom(0, 4, 4.9, 5, 6, 7, 7, 7, 7, 7.9, 8, 9.9, 10, 15, 19.9, 20, 24.9, 25, 30, 40),
    }),
    { minLength: 1, maxLength: 60 },
  );

  it('an alert never clears while the detector reads ≥ 5 %LEL, and reopens after the cooldown if the leak lingers', () => {
    fc.assert(
      fc.property(readings, (list) => {
        const clock = new ManualScheduler(0);
        const rig = ladderRig(shipped, clock);
        const key = detectors[0]!.device.id;
        let clearedAt = -Infinity;
        let sinceFive = NaN; // the reading from which gas has stayed ≥ 5 (yellow's `for` counts from it)
        for (const { after, value } of list) {
          clock.advanceBy(after);
          const before = rig.events.length;
          rig.model.onReading(makeReading(detectors[0]!, clock.now(), { gas_lel_pct: value }));
          sinceFive = value >= 5 ? (Number.isNaN(sinceFive) ? clock.now() : sinceFive) : NaN;
          for (const e of eventsSince(rig, before, 'cleared')) {
            expect(value, `cleared at ${value} %LEL`).toBeLessThan(5);
            clearedAt = e.at;
          }
          const level = alertLevel(rig, key);
          if (value >= 25) expect(level).toBe('red'); // red is never delayed
          // Yellow's condition held for its minute: an alert is open, unless the cooldown (5 min) still runs.
          const cooledDown = clock.now() >= clearedAt + shipped.alert.cooldownMs;
          if (value >= 5 && clock.now() - sinceFive >= 60_000 && cooledDown) {
            expect(rank(level), `no alert at ${value} %LEL, ≥ 5 since ${sinceFive}, at ${clock.now()}`).toBeGreaterThanOrEqual(rank('yellow'));
          }
        }
        expectConsistentHistory(rig);
        rig.model.dispose();
        rig.manager.dispose();
      }),
      { numRuns: 300 },
    );
  });
});
