import type { DeadlineKind, DispatchOrder, SupervisionEntry, SupervisionTier } from '../contracts/order.js';

/** 督办 goes up one step per missed deadline: grid → community → street → leadership. */
const LADDER: readonly SupervisionTier[] = ['grid', 'community', 'street', 'leadership'];

/** The top of the ladder: nobody above to hand a miss to, only reminders. */
export const TOP_OF_LADDER = 'leadership' satisfies SupervisionTier;

/** The step above `tier`; leadership stays leadership (it is reminded of every further miss). */
export function stepAbove(tier: SupervisionTier): SupervisionTier {
  const i = LADDER.indexOf(tier);
  return LADDER[Math.min(LADDER.length - 1, i + 1)]!;
}

/** Priority ceiling: 1–4 follow the alert level, 5 is "under supervision at the top". */
export const MAX_PRIORITY = 5;

/**
 * Supervision entries kept per order. An order nobody accepts keeps missing deadlines (hourly
 * reminders once leadership supervises it); `overdueCount` keeps the total, the order's size stays
 * bounded.
 */
export const SUPERVISION_LIMIT = 50;

/** The last supervision step taken for a deadline of `kind`. */
export function lastStep(order: DispatchOrder, kind: DeadlineKind): SupervisionEntry | undefined {
  for (let i = order.supervision.length - 1; i >= 0; i--) if (order.supervision[i]!.deadline === kind) return order.supervision[i];
  return undefined;
}

/**
 * `supervision` with `entry` appended, at most SUPERVISION_LIMIT long. The oldest entries go first,
 * but never the last one of a deadline kind: where each ladder stands (who supervises now, whether
 * a deadline is a reminder at the top) and whether a resolution deadline was ever missed (the
 * on-time statistics) are read from them. Hourly response reminders must not push the one
 * resolution step out of a bounded list.
 */
export function appendSupervision(supervision: readonly SupervisionEntry[], entry: SupervisionEntry): SupervisionEntry[] {
  const next = [...supervision, entry];
  while (next.length > SUPERVISION_LIMIT) {
    const lastOfKind = new Set(['response', 'resolution'].map((kind) => next.findLastIndex((s) => s.deadline === kind)));
    next.splice(next.findIndex((_, i) => !lastOfKind.has(i)), 1);
  }
  return next;
}
