/**
 * RFC 3339 `date-time` (section 5.6): `2024-11-22T10:00:00Z`, `2024-11-22T18:00:00.250+08:00`.
 * Published in the telemetry schema as the pattern of a string `ts`.
 */
export const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:[Zz]|[+-]\\d{2}:\\d{2})$';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch milliseconds of an RFC 3339 date-time, or NaN. Stricter than `Date.parse`, which V8 lets
 * roll `2024-02-30` over into March and accepts `24:00`: a device that sends an impossible time
 * has a broken clock, and its reading should be rejected, not moved. Leap seconds (`:60`) are
 * rejected too; no meter sends them. Fractions beyond milliseconds are truncated.
 */
export function parseRfc3339(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const fraction = m[7];
  const ms = fraction === undefined ? 0 : Number((fraction + '00').slice(0, 3));
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMins = Number(m[10]);
    if (offsetHours > 23 || offsetMins > 59) return NaN;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // Date.UTC maps years 0..99 to 1900..1999; the Gregorian calendar repeats every 400 years, so
  // shifting by one cycle and back is exact for every year.
  return Date.UTC(year + 400, month - 1, day, hour, minute, second, ms) - GREGORIAN_CYCLE_MS - offsetMinutes * 60_000;
}

const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
