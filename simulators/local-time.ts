/**
 * Local wall-clock time of a simulated instant in a place's time zone: households get up at 07:00
 * local time, and `elderly-no-water` counts 06:00–22:00 local time, so the simulator must agree
 * with the engine about what "07:00" is.
 *
 * Intl is slow per call, so the zone's UTC offset is looked up once per zone and UTC hour (offsets
 * only change on the hour or half hour, and DST changes are rare) and cached.
 */
export interface LocalTime {
  /** Hour of the day as a fraction, 0 ≤ hour < 24 (07:30 → 7.5). */
  hour: number;
  /** Day of the week, 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

/** The zone's offset from UTC (ms, east positive) at `atMs`. */
export function utcOffsetMs(timeZone: string, atMs: number): number {
  const bucket = Math.floor(atMs / HOUR_MS);
  const key = `${timeZone}|${bucket}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const at = bucket * HOUR_MS;
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
  const offset = asUtc - at;
  // A bounded cache: a simulation walks forward, so old hours are never asked for again.
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

export function localTime(timeZone: string, atMs: number): LocalTime {
  const local = atMs + utcOffsetMs(timeZone, atMs);
  const dayMs = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  const days = Math.floor(local / DAY_MS);
  // 1 Jan 1970 was a Thursday (4).
  return { hour: dayMs / HOUR_MS, weekday: (((days + 4) % 7) + 7) % 7 };
}

export function isWeekend(weekday: number): boolean {
  return weekday === 0 || weekday === 6;
}
