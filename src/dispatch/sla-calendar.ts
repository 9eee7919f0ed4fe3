import type { DeadlineSpec } from '../contracts/order.js';
import { addWorkingDays } from '../core/local-time.js';

export type { DeadlineSpec } from '../contracts/order.js';
export { addWorkingDays, isWorkingDay, localDate } from '../core/local-time.js';

/** When a deadline given as a span (`15m`) or in working days (`3 working days`) falls, counted from `start`. */
export function deadlineAfter(start: number, spec: DeadlineSpec, timeZone: string): number {
  return 'ms' in spec ? start + spec.ms : addWorkingDays(start, spec.workingDays, timeZone);
}

/**
 * When leadership, at the top of the supervision ladder, is reminded of a deadline missed at
 * `start`: `remindEvery` later, or a whole span later when the span is longer — a 15-minute response
 * span is reminded hourly, not every 15 minutes; a 3-working-day resolution every 3 working days.
 */
export function reminderAfter(start: number, spec: DeadlineSpec, remindEvery: number, timeZone: string): number {
  return Math.max(deadlineAfter(start, spec, timeZone), start + remindEvery);
}
