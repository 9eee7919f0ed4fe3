/**
 * The four-level warning ladder (Chinese emergency warnings IV..I): blue < yellow < orange < red.
 * Values only; ordering helpers live in `alerts/levels.ts`.
 */
export const LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type Level = (typeof LEVELS)[number];
/** A model's verdict for a key: a level, or `ok` when nothing is wrong (any open alert may clear). */
export type Verdict = Level | 'ok';
