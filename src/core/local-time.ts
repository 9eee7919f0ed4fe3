import chineseDays from 'chinese-days';
import { ERR_REGISTRY_INVALID } from './errors.js';

/**
 * Local wall-clock time in a place's IANA time zone: the one place that asks ICU (`Intl`) about
 * time zones. Active hours ("06:00–22:00"), dispatch facts (local hour, weekday, working day), SLA
 * deadlines in working days, the timeline's local times and the simulators' daily rhythms all read
 * it, so they agree on what "07:00 on a working day" is.
 *
 * `Intl.DateTimeFormat` costs tens of microseconds per call, so a zone's UTC offset is asked once
 * per zone and UTC hour and cached; every local field (date, hour, minute, weekday) is arithmetic
 * on `utc + offset` from there.
 */

/** A 24-hour time of day as files write it, `00:00`–`23:59` (active hours, simulated hours). */
export const TIME_OF_DAY_PATTERN = '^(?:[01]\\d|2[0-3]):[0-5]\\d$';

/** Time zone of a top-level place that declares none (ARCHITECTURE.md: the demo city is in China). */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// --- UTC offsets, cached per (zone, UTC hour) ------------------------------------------------

/** Offsets (ms) per UTC hour index; NaN marks an hour in which the offset changes. */
interface ZoneOffsets {
  readonly format: Intl.DateTimeFormat;
  readonly hours: Map<number, number>;
}

const zones = new Map<string, ZoneOffsets>();
/** Bound on cached hours per zone (about 11 years); the cache restarts beyond it. */
const MAX_CACHED_HOURS = 100_000;

function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = zones.get(timeZone);
  if (zone) return zone;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    throw ERR_REGISTRY_INVALID('timeZone', `"${timeZone}" is not an IANA time zone`);
  }
  zone = { format, hours: new Map() };
  zones.set(timeZone, zone);
  return zone;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    zoneOffsets(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset at `utcMs`, straight from ICU (whole seconds; sub-second part ignored). */
function computeOffset(format: Intl.DateTimeFormat, utcMs: number): number {
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  for (const part of format.formatToParts(utcMs)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      default: break;
    }
  }
  const wholeSecond = Math.floor(utcMs / 1000) * 1000;
  return Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond;
}

/** UTC offset (local − UTC, ms) of `timeZone` at instant `utcMs`. Throws ERR_REGISTRY_INVALID for an unknown zone. */
export function zoneOffsetAt(timeZone: string, utcMs: number): number {
  const zone = zoneOffsets(timeZone);
  const hourIndex = Math.floor(utcMs / HOUR);
  let offset = zone.hours.get(hourIndex);
  if (offset === undefined) {
    if (zone.hours.size >= MAX_CACHED_HOURS) zone.hours.clear();
    const start = hourIndex * HOUR;
    const atStart = computeOffset(zone.format, start);
    // Offsets change at most once an hour, so equal ends mean one offset for the whole hour.
    offset = atStart === computeOffset(zone.format, start + HOUR - 1000) ? atStart : NaN;
    zone.hours.set(hourIndex, offset);
  }
  // The rare hour with a transition in it (two a year in DST zones) is computed exactly each time.
  return Number.isNaN(offset) ? computeOffset(zone.format, utcMs) : offset;
}

/**
 * The instant at which local wall-clock time `localMs` (ms since 1970-01-01T00:00 local) occurs.
 * Assumes at most one offset change within a day of it, true of every zone since 1970. Repeated
 * wall-clock times resolve to the earlier instant and skipped ones move forward by the gap (the
 * `compatible` rule of Temporal and RFC 5545).
 */
export function localToUtc(timeZone: string, localMs: number): number {
  const before = zoneOffsetAt(timeZone, localMs - DAY);
  const after = zoneOffsetAt(timeZone, localMs + DAY);
  if (before === after) return localMs - before;
  const early = localMs - before;
  const late = localMs - after;
  const earlyValid = zoneOffsetAt(timeZone, early) === before;
  const lateValid = zoneOffsetAt(timeZone, late) === after;
  if (earlyValid && lateValid) return Math.min(early, late); // repeated wall time: the earlier instant
  if (earlyValid) return early;
  if (lateValid) return late;
  return early; // skipped wall time (spring forward): moves forward by the gap
}

/** `utcMs` as local wall-clock ms since 1970-01-01T00:00 local. */
export function toLocalMs(timeZone: string, utcMs: number): number {
  return utcMs + zoneOffsetAt(timeZone, utcMs);
}

/** Local midnight (in local ms) of the day containing `utcMs`. */
export function localDayStart(timeZone: string, utcMs: number): number {
  const local = toLocalMs(timeZone, utcMs);
  return local - (((local % DAY) + DAY) % DAY);
}

// --- local clock fields -----------------------------------------------------------------------

/** The wall clock of one instant in one zone. */
export interface LocalClock {
  hour: number;
  minute: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

/** The last clock read per zone: decisions made in a burst share one object per zone and minute. */
const clockCache = new Map<string, { minuteKey: number; clock: LocalClock }>();

/**
 * Hour, minute and ISO weekday (1 = Monday) of `epochMs` on the wall clock of `timeZone`. Every
 * zone's offset is a whole number of minutes, so the local clock changes only when the UTC minute
 * does: within one minute the same (frozen) object is returned.
 */
export function localClock(epochMs: number, timeZone: string): LocalClock {
  const minuteKey = Math.floor(epochMs / MINUTE);
  const cached = clockCache.get(timeZone);
  if (cached && cached.minuteKey === minuteKey) return cached.clock;
  const local = toLocalMs(timeZone, epochMs);
  const days = Math.floor(local / DAY);
  const msOfDay = local - days * DAY;
  // 1 January 1970 was a Thursday (ISO weekday 4).
  const clock: LocalClock = Object.freeze({
    hour: Math.floor(msOfDay / HOUR), minute: Math.floor((msOfDay % HOUR) / MINUTE), weekday: ((((days + 3) % 7) + 7) % 7) + 1,
  });
  clockCache.set(timeZone, { minuteKey, clock });
  return clock;
}

/** The calendar date (YYYY-MM-DD) of `epochMs` in `timeZone`. */
export function localDate(epochMs: number, timeZone: string): string {
  return new Date(toLocalMs(timeZone, epochMs)).toISOString().slice(0, 10);
}

/** `epochMs` in `timeZone` as ISO 8601 with the zone's offset (2026-09-30T17:00:00+08:00). */
export function localIsoTime(epochMs: number, timeZone: string): string {
  const offsetMin = Math.round(zoneOffsetAt(timeZone, epochMs) / MINUTE);
  // The local wall-clock time, written by toISOString as if it were UTC.
  const wall = new Date(epochMs + offsetMin * MINUTE).toISOString();
  const abs = Math.abs(offsetMin);
  return `${wall.slice(0, 19)}${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// --- working days (Chinese calendar) ------------------------------------------------------------

/**
 * Whether `date` (YYYY-MM-DD) is a working day in mainland China: weekends and public holidays are
 * off, and adjusted working days (调休, e.g. a Saturday before National Day) are on. `chinese-days`
 * ships the State Council's published schedule (through 2026 in the pinned version); for later
 * years it knows only weekends, which is the honest fallback until the schedule is published.
 */
export function isWorkingDay(date: string): boolean {
  return chineseDays.isWorkday(date);
}

const workingDayCache = new Map<string, { day: number; working: boolean }>();

/** Whether `epochMs` falls on a working day where it happens; remembered per zone for the current local day. */
export function workingDayAt(epochMs: number, timeZone: string): boolean {
  const day = Math.floor(toLocalMs(timeZone, epochMs) / DAY);
  const cached = workingDayCache.get(timeZone);
  if (cached && cached.day === day) return cached.working;
  const working = isWorkingDay(localDate(epochMs, timeZone));
  workingDayCache.set(timeZone, { day, working });
  return working;
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
    t += DAY;
    const date = localDate(t, timeZone);
    if (date === lastDate) continue; // DST fall-back: 24 h later is still the same date
    lastDate = date;
    if (isWorkingDay(date)) counted++;
  }
  return t;
}
