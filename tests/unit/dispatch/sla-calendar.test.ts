import { describe, expect, it } from 'vitest';
import { addWorkingDays, deadlineAfter, isWorkingDay, localDate, reminderAfter } from '../../../src/dispatch/sla-calendar.js';

const SHANGHAI = 'Asia/Shanghai';
const at = (iso: string) => Date.parse(iso);

describe('SLA calendar', () => {
  it('knows the 2026 National Day holiday and its adjusted working Saturday', () => {
    expect(isWorkingDay('2026-09-30')).toBe(true); // Wednesday before the holiday
    for (const day of ['01', '02', '03', '04', '05', '06', '07']) expect(isWorkingDay(`2026-10-${day}`)).toBe(false);
    expect(isWorkingDay('2026-10-08')).toBe(true);
    expect(isWorkingDay('2026-10-10')).toBe(true); // 调休: a Saturday that is a working day
    expect(isWorkingDay('2026-10-11')).toBe(false);
  });

  it('counts 3 working days across National Day for an order raised on the last working day before it', () => {
    const raised = at('2026-09-30T17:00:00+08:00');
    // Oct 1–7 off; Oct 8 (Thu), Oct 9 (Fri), Oct 10 (adjusted Saturday) are the three working days.
    expect(addWorkingDays(raised, 3, SHANGHAI)).toBe(at('2026-10-10T17:00:00+08:00'));
  });

  it('skips an ordinary weekend', () => {
    const friday = at('2026-11-20T09:30:00+08:00');
    expect(addWorkingDays(friday, 1, SHANGHAI)).toBe(at('2026-11-23T09:30:00+08:00'));
    expect(addWorkingDays(friday, 3, SHANGHAI)).toBe(at('2026-11-25T09:30:00+08:00'));
  });

  it('reads dates in the place time zone, not UTC', () => {
    // 23:30 on the 20th in Shanghai is 15:30 UTC: the same date; 01:00 on the 21st is still the 20th in UTC.
    const lateFriday = at('2026-11-20T23:30:00+08:00');
    expect(localDate(lateFriday, SHANGHAI)).toBe('2026-11-20');
    expect(localDate(lateFriday, 'America/Los_Angeles')).toBe('2026-11-20');
    expect(localDate(at('2026-11-21T01:00:00+08:00'), SHANGHAI)).toBe('2026-11-21');
    expect(localDate(at('2026-11-21T01:00:00+08:00'), 'UTC')).toBe('2026-11-20');
  });

  it('applies fixed spans as they are', () => {
    const start = at('2026-09-30T17:00:00+08:00');
    expect(deadlineAfter(start, { ms: 24 * 3_600_000 }, SHANGHAI)).toBe(at('2026-10-01T17:00:00+08:00'));
    expect(deadlineAfter(start, { workingDays: 1 }, SHANGHAI)).toBe(at('2026-10-08T17:00:00+08:00'));
  });

  it('reminds at the top of the ladder after remindEvery, or after the whole span when that is longer', () => {
    const start = at('2026-09-30T17:00:00+08:00');
    const HOUR = 3_600_000;
    expect(reminderAfter(start, { ms: 15 * 60_000 }, HOUR, SHANGHAI)).toBe(start + HOUR);
    expect(reminderAfter(start, { ms: 2 * HOUR }, HOUR, SHANGHAI)).toBe(start + 2 * HOUR);
    expect(reminderAfter(start, { workingDays: 1 }, HOUR, SHANGHAI)).toBe(at('2026-10-08T17:00:00+08:00')); // after National Day
  });
});
