import type { Level, Verdict } from '../contracts/level.js';
import type { Scenario } from '../contracts/scenario.js';
import { LEVELS_HIGHEST_FIRST, levelRank } from '../core/levels.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';

/** One rung of a duration ladder: this level is reached after `ms` (of silence, of inactivity). */
export interface LevelStep {
  level: Level;
  rank: number;
  ms: number;
}

/**
 * The levels of a duration-based model (offline, inactivity) in the order they are reached, lowest
 * first. Durations must grow with the level: a red reached before orange would skip the ladder.
 */
export function durationLadder(scenario: Pick<Scenario, 'id'>, levels: Partial<Record<Level, number>>): LevelStep[] {
  const steps: LevelStep[] = [];
  for (const level of [...LEVELS_HIGHEST_FIRST].reverse()) {
    const ms = levels[level];
    if (ms === undefined) continue;
    if (!(ms > 0)) throw ERR_SCENARIO_INVALID(scenario.id, `levels.${level} must be a positive duration`);
    const previous = steps[steps.length - 1];
    if (previous && ms <= previous.ms) throw ERR_SCENARIO_INVALID(scenario.id, `levels.${level} must be longer than levels.${previous.level}`);
    steps.push({ level, rank: levelRank(level), ms });
  }
  if (steps.length === 0) throw ERR_SCENARIO_INVALID(scenario.id, 'levels: at least one level needs a duration');
  return steps;
}

/** Index of the first step above `verdict` (undefined: nothing decided yet); steps.length at the top. */
export function nextStepIndex(steps: readonly LevelStep[], verdict: Verdict | undefined): number {
  const rank = verdict === undefined ? 0 : levelRank(verdict);
  let i = 0;
  while (i < steps.length && steps[i]!.rank <= rank) i++;
  return i;
}

/**
 * Index of the highest step whose duration `elapsedMs` reaches, -1 for none. A reading that
 * shortens the count (a message ends the silence, activity ends the inactivity) lowers the
 * verdict only to the level the new count still reaches: a late reading — an old one delivered
 * now — must not clear an alert whose duration it leaves standing (safety first).
 */
export function highestStepReached(steps: readonly LevelStep[], elapsedMs: number): number {
  let reached = -1;
  while (reached + 1 < steps.length && steps[reached + 1]!.ms <= elapsedMs) reached++;
  return reached;
}
