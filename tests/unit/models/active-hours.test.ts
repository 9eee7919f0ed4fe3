import { describe, expect, it } from 'vitest';
import { activeTimeBetween, addActiveTime, describeActiveHours, parseActiveHours } from '../../../src/models/active-hours.js';
import { localToUtc, zoneOffsetAt } from '../../../src/core/local-time.js';
import type { ActiveHours } from '../../../src/contracts/scenario.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY_WINDOW: ActiveHours = { from: '06:00', to: '22:00' };
const NIGHT_WINDOW: ActiveHours = { from: '22:00', to: '06:00' };
/** UTC instant of a wall-clock time at a fixed offset (hours), for readable expectations. */
const at = (iso: string, offsetHours: number) => Date.parse(`${iso}Z`) - offsetHours * HOUR;

describe('UTC offsets', () => {
  it('reads the zone offset, including DST and odd offsets', () => {
    expect(zoneOffsetAt('Asia/Shanghai', Date.UTC(2024, 0, 1))).toBe(8 * HOUR);
    expect(zoneOffsetAt('Europe/Berlin', Date.UTC(2024, 0, 15))).toBe(1 * HOUR);
    expect(zoneOffsetAt('Europe/Berlin', Date.UTC(2024, 6, 15))).toBe(2 * HOUR);
    expect(zoneOffsetAt('Asia/Kathmandu', Date.UTC(2024, 6, 15))).toBe(5 * HOUR + 45 * MINUTE);
    expect(zoneOffsetAt('America/New_York', Date.UTC(2024, 0, 15))).toBe(-5 * HOUR);
  });

  it('is exact inside an hour that contains a transition at half past (Lord Howe Island)', () => {
    // 2024-04-07 02:00 LHDT (+11) becomes 01:30 LHST (+10:30): at 15:00 UTC.
    // 2024-10-06 02:00 LHST (+10:30) becomes 02:30 LHDT (+11): at 15:30 UTC, mid-hour.
    const switchAt = Date.UTC(2024, 9, 5, 15, 30);
    expect(zoneOffsetAt('Australia/Lord_Howe', switchAt - MINUTE)).toBe(10.5 * HOUR);
    expect(zoneOffsetAt('Australia/Lord_Howe', switchAt)).toBe(11 * HOUR);
    expect(zoneOffsetAt('Australia/Lord_Howe', switchAt - 20 * MINUTE)).toBe(10.5 * HOUR);
  });

  it('maps local wall time to UTC, moving skipped times forward and taking the earlier repeated time', () => {
    // Europe/Berlin 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    expect(localToUtc('Europe/Berlin', Date.parse('2024-03-31T01:30:00Z'))).toBe(Date.parse('2024-03-31T00:30:00Z'));
    expect(localToUtc('Europe/Berlin', Date.parse('2024-03-31T02:30:00Z'))).toBe(Date.parse('2024-03-31T01:30:00Z')); // = 03:30 CEST
    expect(localToUtc('Europe/Berlin', Date.parse('2024-03-31T03:30:00Z'))).toBe(Date.parse('2024-03-31T01:30:00Z'));
    // 2024-10-27: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 happens twice.
    expect(localToUtc('Europe/Berlin', Date.parse('2024-10-27T02:30:00Z'))).toBe(Date.parse('2024-10-27T00:30:00Z'));
    expect(localToUtc('Europe/Berlin', Date.parse('2024-10-27T03:30:00Z'))).toBe(Date.parse('2024-10-27T02:30:00Z'));
  });
});

describe('activeTimeBetween / addActiveTime in Asia/Shanghai (no DST)', () => {
  const tz = 'Asia/Shanghai';
  const lastUse = at('2024-03-01T20:00:00', 8);

  it('counts only 06:00–22:00: last use at 20:00 reaches 8h at 12:00 and 12h at 16:00 next day', () => {
    expect(activeTimeBetween(lastUse, at('2024-03-02T12:00:00', 8), DAY_WINDOW, tz)).toBe(8 * HOUR);
    expect(addActiveTime(lastUse, 8 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-02T12:00:00', 8));
    expect(addActiveTime(lastUse, 12 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-02T16:00:00', 8));
    // Nothing accrues during the night.
    expect(activeTimeBetween(at('2024-03-01T22:00:00', 8), at('2024-03-02T06:00:00', 8), DAY_WINDOW, tz)).toBe(0);
  });

  it('returns the earliest instant: a duration ending exactly at the window edge ends there', () => {
    expect(addActiveTime(lastUse, 2 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-01T22:00:00', 8));
    expect(addActiveTime(at('2024-03-01T23:00:00', 8), 1 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-02T07:00:00', 8));
    expect(addActiveTime(lastUse, 0, DAY_WINDOW, tz)).toBe(lastUse);
  });

  it('spans several days and handles empty or reversed ranges', () => {
    expect(activeTimeBetween(lastUse, at('2024-03-04T20:00:00', 8), DAY_WINDOW, tz)).toBe(3 * 16 * HOUR);
    // 2h on the 1st, 16h on the 2nd and the 3rd, then 6h on the 4th.
    expect(addActiveTime(lastUse, 40 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-04T12:00:00', 8));
    expect(activeTimeBetween(lastUse, lastUse, DAY_WINDOW, tz)).toBe(0);
    expect(activeTimeBetween(lastUse, lastUse - HOUR, DAY_WINDOW, tz)).toBe(0);
  });

  it('supports windows that wrap midnight (22:00–06:00)', () => {
    expect(activeTimeBetween(lastUse, at('2024-03-02T12:00:00', 8), NIGHT_WINDOW, tz)).toBe(8 * HOUR);
    expect(addActiveTime(at('2024-03-02T05:00:00', 8), 2 * HOUR, NIGHT_WINDOW, tz)).toBe(at('2024-03-02T23:00:00', 8));
    expect(addActiveTime(at('2024-03-01T23:00:00', 8), 3 * HOUR, NIGHT_WINDOW, tz)).toBe(at('2024-03-02T02:00:00', 8));
  });

  it('without a window counts the whole day', () => {
    expect(activeTimeBetween(lastUse, lastUse + 30 * HOUR, undefined, tz)).toBe(30 * HOUR);
    expect(addActiveTime(lastUse, 30 * HOUR, undefined, tz)).toBe(lastUse + 30 * HOUR);
    expect(activeTimeBetween(lastUse, lastUse + 30 * HOUR, { from: '00:00', to: '24:00' }, tz)).toBe(30 * HOUR);
  });
});

describe('active hours across DST switches (Europe/Berlin)', () => {
  const tz = 'Europe/Berlin';

  it('places window edges at local time on both sides of the spring switch', () => {
    // Last use 2024-03-30 20:00 CET; 2h that evening, then from 06:00 CEST (04:00 UTC) on the 31st.
    const lastUse = at('2024-03-30T20:00:00', 1);
    expect(addActiveTime(lastUse, 8 * HOUR, DAY_WINDOW, tz)).toBe(at('2024-03-31T12:00:00', 2));
    expect(activeTimeBetween(lastUse, at('2024-03-31T12:00:00', 2), DAY_WINDOW, tz)).toBe(8 * HOUR);
  });

  it('counts real time: a night window is 5h on the spring switch and 7h on the autumn one', () => {
    const early: ActiveHours = { from: '00:00', to: '06:00' };
    expect(activeTimeBetween(at('2024-03-30T12:00:00', 1), at('2024-03-31T12:00:00', 2), early, tz)).toBe(5 * HOUR);
    expect(activeTimeBetween(at('2024-10-26T12:00:00', 2), at('2024-10-27T12:00:00', 1), early, tz)).toBe(7 * HOUR);
    expect(addActiveTime(at('2024-10-27T00:00:00', 2), 6 * HOUR, early, tz)).toBe(at('2024-10-27T05:00:00', 1));
  });

  it('moves an edge in the skipped hour forward and takes the earlier of a repeated one', () => {
    const window: ActiveHours = { from: '02:30', to: '05:00' };
    // 02:30 does not exist on 2024-03-31: the window starts at 03:30 CEST.
    expect(activeTimeBetween(at('2024-03-31T00:00:00', 1), at('2024-03-31T12:00:00', 2), window, tz)).toBe(1.5 * HOUR);
    // 02:30 happens twice on 2024-10-27: the window starts at the first (CEST).
    expect(activeTimeBetween(at('2024-10-27T00:00:00', 2), at('2024-10-27T12:00:00', 1), window, tz)).toBe(3.5 * HOUR);
  });
});

describe('active hours properties', () => {
  const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'];
  const windows: (ActiveHours | undefined)[] = [DAY_WINDOW, NIGHT_WINDOW, { from: '01:30', to: '03:15' }, undefined];

  it('addActiveTime is the smallest t with activeTimeBetween(start, t) = duration', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    // Starts spread over 2024 so that every zone's DST switches are crossed.
    const yearStart = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 400; i++) {
      const zone = zones[i % zones.length]!;
      const window = windows[Math.floor(i / zones.length) % windows.length];
      const start = yearStart + Math.floor(next() * 366 * 24 * 60) * MINUTE;
      const duration = Math.floor(next() * 72 * 60) * MINUTE + MINUTE;
      const end = addActiveTime(start, duration, window, zone);
      expect(activeTimeBetween(start, end, window, zone)).toBe(duration);
      expect(activeTimeBetween(start, end - 1, window, zone)).toBe(duration - 1);
    }
  });

  it('holds the same way for starts just before each 2024 DST switch', () => {
    const switches: [string, number][] = [
      ['Europe/Berlin', Date.UTC(2024, 2, 31, 1)], ['Europe/Berlin', Date.UTC(2024, 9, 27, 1)],
      ['America/New_York', Date.UTC(2024, 2, 10, 7)], ['America/New_York', Date.UTC(2024, 10, 3, 6)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 6, 15)], ['Australia/Lord_Howe', Date.UTC(2024, 9, 5, 15, 30)],
    ];
    let seed = 11;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (const [zone, switchAt] of switches) {
      for (const window of windows) {
        for (let i = 0; i < 20; i++) {
          const start = switchAt - Math.floor(next() * 48 * 60) * MINUTE;
          const duration = Math.floor(next() * 48 * 60) * MINUTE + MINUTE;
          const end = addActiveTime(start, duration, window, zone);
          expect(activeTimeBetween(start, end, window, zone)).toBe(duration);
          expect(activeTimeBetween(start, end - 1, window, zone)).toBe(duration - 1);
        }
      }
    }
  });
});

describe('active hours validation', () => {
  it('rejects malformed windows with ERR_SCENARIO_INVALID', () => {
    for (const window of [{ from: '6:00', to: '22:00' }, { from: '06:00', to: '25:00' }, { from: '24:00', to: '06:00' }, { from: '06:60', to: '07:00' }]) {
      expect(() => parseActiveHours(window)).toThrow(expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' }));
    }
  });

  it('rejects unknown time zones with ERR_REGISTRY_INVALID', () => {
    expect(() => activeTimeBetween(0, HOUR, DAY_WINDOW, 'Mars/Olympus_Mons')).toThrow(expect.objectContaining({ code: 'ERR_REGISTRY_INVALID' }));
  });

  it('describes the window with its zone for summaries', () => {
    expect(describeActiveHours(DAY_WINDOW, 'Asia/Shanghai')).toBe('06:00–22:00 Asia/Shanghai');
    expect(describeActiveHours(undefined, 'Asia/Shanghai')).toBeUndefined();
  });
});
