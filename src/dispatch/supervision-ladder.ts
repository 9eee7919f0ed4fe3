import type { SupervisionTier } from '../contracts/order.js';

/** 督办 goes up one step per missed deadline: grid → community → street → leadership. */
const LADDER: readonly SupervisionTier[] = ['grid', 'community', 'street', 'leadership'];

/** The step above `tier`; leadership stays leadership (it is re-notified on every further miss). */
export function stepAbove(tier: SupervisionTier): SupervisionTier {
  const i = LADDER.indexOf(tier);
  return LADDER[Math.min(LADDER.length - 1, i + 1)]!;
}

/** Priority ceiling: 1–4 follow the alert level, 5 is "under supervision at the top". */
export const MAX_PRIORITY = 5;
