import { LEVELS, type Level, type Verdict } from '../contracts/level.js';

const RANK: Record<Verdict, number> = { ok: 0, blue: 1, yellow: 2, orange: 3, red: 4 };

/** 0 for ok, 1 (blue) .. 4 (red). */
export function levelRank(verdict: Verdict): number {
  return RANK[verdict];
}

export function isHigher(a: Verdict, b: Verdict): boolean {
  return RANK[a] > RANK[b];
}

export function maxLevel(a: Level, b: Level): Level {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Levels from red down to blue: the order in which raise conditions are checked. */
export const LEVELS_HIGHEST_FIRST: readonly Level[] = [...LEVELS].reverse();

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}
