import { zoneOffsetAt } from '../src/core/local-time.js';

/**
 * Local wall-clock time of a simulated instant in a place's time zone: households get up at 07:00
 * local time, and `elderly-no-water` counts 06:00–22:00 local time, so the simulator must agree
 * with the engine about what "07:00" is.
 *
 * The offsets come from the engine's local-time module, so both read the same wall clock.
 */

export interface LocalTime {
  /** Hour of the day as a fraction, 0 ≤ hour < 24 (07:30 → 7.5). */
  hour: number;
  /** Day of the week, 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function localTime(timeZone: string, atMs: number): LocalTime {
  const local = atMs + zoneOffsetAt(timeZone, atMs);
  const dayMs = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  const days = Math.floor(local / DAY_MS);
  // 1 Jan 1970 was a Thursday (4).
  return { hour: dayMs / HOUR_MS, weekday: (((days + 4) % 7) + 7) % 7 };
}

export function isWeekend(weekday: number): boolean {
  return weekday === 0 || weekday === 6;
}
