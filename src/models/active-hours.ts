import type { ActiveHours } from '../contracts/scenario.js';
import { ERR_SCENARIO_INVALID } from '../core/errors.js';
import { localDayStart, localToUtc } from '../core/local-time.js';

/**
 * Active time: elapsed real time that falls inside a daily window of local wall-clock time
 * (`activeHours`, e.g. 06:00–22:00 in the place's IANA zone). Inactivity scenarios count only this
 * time, so a night's sleep is not an incident.
 *
 * Elapsed time is real time: a window that spans a DST switch is an hour shorter or longer that
 * day. Window edges that fall into a skipped wall-clock hour move forward by the gap, and repeated
 * wall-clock times resolve to the earlier instant (core/local-time.ts `localToUtc`).
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A window never needs more days than this to accumulate any duration we ask for: a loop guard. */
const MAX_DAYS = 100_000;

/** A parsed daily window: [fromMs, toMs) in ms after local midnight; wraps midnight when fromMs > toMs. */
export interface DailyWindow {
  readonly fromMs: number;
  readonly toMs: number;
  /** 24 h a day (no window, or from == to). */
  readonly wholeDay: boolean;
  /** `06:00–22:00`, for summaries. */
  readonly label: string;
}

const WHOLE_DAY: DailyWindow = { fromMs: 0, toMs: DAY, wholeDay: true, label: '00:00–24:00' };
const HH_MM = /^([01]\d|2[0-4]):([0-5]\d)$/;
const parsedWindows = new WeakMap<ActiveHours, DailyWindow>();

function parseClock(text: string, field: string): number {
  const match = HH_MM.exec(text);
  const ms = match ? Number(match[1]) * HOUR + Number(match[2]) * MINUTE : NaN;
  if (!(ms <= DAY)) throw ERR_SCENARIO_INVALID('activeHours', `${field} "${text}" is not a time of day (HH:MM)`);
  return ms;
}

/** Parses (once per window object) `{ from: '06:00', to: '22:00' }`; throws ERR_SCENARIO_INVALID. */
export function parseActiveHours(window: ActiveHours | undefined): DailyWindow {
  if (!window) return WHOLE_DAY;
  let parsed = parsedWindows.get(window);
  if (parsed) return parsed;
  const fromMs = parseClock(window.from, 'from');
  const toMs = parseClock(window.to, 'to');
  if (fromMs === DAY) throw ERR_SCENARIO_INVALID('activeHours', 'from "24:00" is not a start time');
  const wholeDay = fromMs === toMs || (fromMs === 0 && toMs === DAY);
  parsed = { fromMs, toMs: toMs === 0 && fromMs > 0 ? DAY : toMs, wholeDay, label: `${window.from}–${window.to}` };
  parsedWindows.set(window, parsed);
  return parsed;
}

/**
 * Calls `visit(startUtc, endUtc)` for each active interval, day by day from the local day that
 * contains `fromUtc`, until `visit` returns true. Intervals may begin before `fromUtc`.
 */
function eachInterval(window: DailyWindow, timeZone: string, fromUtc: number, visit: (start: number, end: number) => boolean): void {
  let day = localDayStart(timeZone, fromUtc);
  const wraps = window.fromMs > window.toMs;
  for (let n = 0; n < MAX_DAYS; n++, day += DAY) {
    if (wraps) {
      if (visit(localToUtc(timeZone, day), localToUtc(timeZone, day + window.toMs))) return;
      if (visit(localToUtc(timeZone, day + window.fromMs), localToUtc(timeZone, day + DAY))) return;
    } else if (visit(localToUtc(timeZone, day + window.fromMs), localToUtc(timeZone, day + window.toMs))) {
      return;
    }
  }
  throw ERR_SCENARIO_INVALID('activeHours', `window ${window.label} accumulates no time in ${timeZone}`);
}

/** Active time in [startMs, endMs): the part of it inside `window` (local time of `timeZone`). */
export function activeTimeBetween(startMs: number, endMs: number, window: ActiveHours | undefined, timeZone: string): number {
  if (!(endMs > startMs)) return 0;
  const daily = parseActiveHours(window);
  if (daily.wholeDay) return endMs - startMs;
  let total = 0;
  eachInterval(daily, timeZone, startMs, (start, end) => {
    if (start >= endMs) return true;
    const from = start > startMs ? start : startMs;
    const to = end < endMs ? end : endMs;
    if (to > from) total += to - from;
    return false;
  });
  return total;
}

/**
 * The earliest instant by which `durationMs` of active time has elapsed after `startMs`, i.e. the
 * smallest t with activeTimeBetween(startMs, t) >= durationMs.
 */
export function addActiveTime(startMs: number, durationMs: number, window: ActiveHours | undefined, timeZone: string): number {
  if (!(durationMs > 0)) return startMs;
  const daily = parseActiveHours(window);
  if (daily.wholeDay) return startMs + durationMs;
  let remaining = durationMs;
  let result = startMs;
  eachInterval(daily, timeZone, startMs, (start, end) => {
    const from = start > startMs ? start : startMs;
    if (end <= from) return false;
    if (remaining <= end - from) {
      result = from + remaining;
      return true;
    }
    remaining -= end - from;
    return false;
  });
  return result;
}

/** `06:00–22:00 Asia/Shanghai`, or undefined when the whole day counts. */
export function describeActiveHours(window: ActiveHours | undefined, timeZone: string): string | undefined {
  const daily = parseActiveHours(window);
  return daily.wholeDay ? undefined : `${daily.label} ${timeZone}`;
}
