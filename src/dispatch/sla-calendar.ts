import chineseDays from 'chinese-days';
import type { DeadlineSpec } from '../contracts/order.js';

export type { DeadlineSpec } from '../contracts/order.js';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar date (YYYY-MM-DD) of `epochMs` in `timeZone`. */
export function localDate(epochMs: number, timeZone: string): string {
  return formatterFor(timeZone).format(epochMs);
}

/**
 * Whether `date` is a working day in mainland China: weekends and public holidays are off, and
 * adjusted working days (调休, e.g. a Saturday before National Day) are on. `chinese-days` ships
 * the State Council's published schedule (through 2026 in the pinned version); for later years it
 * knows only weekends, which is the honest fallback until the schedule is published.
 */
export function isWorkingDay(date: string): boolean {
  return chineseDays.isWorkday(date);
}

/**
 * The instant `workingDays` working days after `start`: the same local time of day on the Nth
 * working day after the start's own date. An order raised at 17:00 on the last working day before
 * National Day with "3 working days" is due at 17:00 on the third working day after the holiday.
 * Stepping by whole days (24 h) keeps the time of day in zones without DST (China); the local date
 * is re-read every step, so a DST zone stays on the right date.
 */
export function addWorkingDays(start: number, workingDays: number, timeZone: string): number {
  let t = start;
  let counted = 0;
  let lastDate = localDate(start, timeZone);
  while (counted < workingDays) {
    t += DAY_MS;
    const date = localDate(t, timeZone);
    if (date === lastDate) continue; // DST fall-back: 24 h later is still the same date
    lastDate = date;
    if (isWorkingDay(date)) counted++;
  }
  return t;
}

export function deadlineAfter(start: number, spec: DeadlineSpec, timeZone: string): number {
  return 'ms' in spec ? start + spec.ms : addWorkingDays(start, spec.workingDays, timeZone);
}
