import type { DeadlineSpec } from '../contracts/order.js';
import { addWorkingDays } from '../core/local-time.js';

export type { DeadlineSpec } from '../contracts/order.js';
export { addWorkingDays, isWorkingDay, localDate } from '../core/local-time.js';

/** When a deadline given as a span (`15m`) or in working days (`3 working days`) falls, counted from `start`. */
export function deadlineAfter(start: number, spec: DeadlineSpec, timeZone: string): number {
  return 'ms' in spec ? start + spec.ms : addWorkingDays(start, spec.workingDays, timeZone);
}
