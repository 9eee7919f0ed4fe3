import type { Level } from '../contracts/level.js';
import type { DeadlineSpec } from '../contracts/order.js';
import type { Tier } from '../contracts/registry.js';

export interface LevelPolicy {
  tier: Tier;
  /** 1 (blue) .. 4 (red). */
  priority: number;
  /** Parties informed besides the assignee, e.g. `leadership`. */
  notify: string[];
  respondWithin: DeadlineSpec;
  resolveWithin: DeadlineSpec;
  /**
   * Once a missed deadline has taken the order to the top of the supervision ladder (leadership),
   * the shortest interval between reminders of it (ms): the next reminder falls this long after the
   * miss, or the deadline's own span later if that is longer (a 3-working-day resolution is
   * reminded every 3 working days, not every hour).
   */
  remindEvery: number;
}

export type DispatchPolicy = Record<Level, LevelPolicy>;

const HOUR = 3_600_000;

/** A level's `remindEvery` when the policy file does not state it: 1 h. */
export const DEFAULT_REMIND_EVERY = HOUR;

/**
 * Defaults from practice in grassroots governance: blue and yellow are handled by the grid (respond
 * within 24 h, a general matter; resolve within 3 working days, the usual limit for complex
 * matters), orange goes to the community, red to the street with leadership informed and an
 * immediate response (15 minutes to acknowledge). At the top of the ladder leadership is reminded
 * at most hourly: a red order nobody accepts would otherwise re-notify it every 15 minutes, all
 * night (issue 10). The shipped `rules/dispatch/policy.yaml` states the
 * same table as its `defaults` (a test keeps them equal); without a policy file this is the policy
 * (`BUILT_IN_POLICY` in policy-definition.ts).
 */
export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  blue: { tier: 'grid', priority: 1, notify: [], respondWithin: { ms: 24 * HOUR }, resolveWithin: { workingDays: 3 }, remindEvery: DEFAULT_REMIND_EVERY },
  yellow: { tier: 'grid', priority: 2, notify: [], respondWithin: { ms: 24 * HOUR }, resolveWithin: { workingDays: 3 }, remindEvery: DEFAULT_REMIND_EVERY },
  orange: { tier: 'community', priority: 3, notify: [], respondWithin: { ms: 2 * HOUR }, resolveWithin: { ms: 24 * HOUR }, remindEvery: DEFAULT_REMIND_EVERY },
  red: { tier: 'street', priority: 4, notify: ['leadership'], respondWithin: { ms: 15 * 60_000 }, resolveWithin: { ms: 24 * HOUR }, remindEvery: DEFAULT_REMIND_EVERY },
};
