import { describe, expect, it } from 'vitest';
import type { DeviceProfile } from '../../../simulators/devices/device-model.js';
import { waterMeter, WATER_INTERVAL_MS } from '../../../simulators/devices/water-meter.js';
import { localTime } from '../../../simulators/local-time.js';
import { streamFor } from '../../../simulators/random.js';

const MONDAY = Date.parse('2026-03-02T00:00:00+08:00');
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;

function household(id: string, over: Partial<DeviceProfile> = {}): DeviceProfile {
  return { id, type: 'water_meter', subjectId: id, placeId: 'gr-1', timeZone: TZ, householdSize: 3, livingAlone: false, building: 'gr-1/1', ...over };
}

interface Reading { ts: number; flow: number; total: number }

/** One household's 15-minute readings over `days` days. */
function run(profile: DeviceProfile, days: number, seed = 1): Reading[] {
  const rng = streamFor(seed, profile.id);
  const state = waterMeter.init(profile, rng, MONDAY);
  const out: Reading[] = [];
  for (let t = MONDAY + WATER_INTERVAL_MS; t <= MONDAY + days * 24 * HOUR; t += WATER_INTERVAL_MS) {
    const m = waterMeter.next(state, profile, t - WATER_INTERVAL_MS, t, rng, undefined);
    out.push({ ts: t, flow: m.flow_lpm as number, total: m.total_m3 as number });
  }
  return out;
}

/** Mean flow (L/min) per local hour of the day, over many households and the given days of the week. */
function hourlyMeans(readings: Reading[][], weekend: boolean): number[] {
  const sum = new Array<number>(24).fill(0);
  const count = new Array<number>(24).fill(0);
  for (const series of readings) {
    for (const r of series) {
      const { hour, weekday } = localTime(TZ, r.ts - WATER_INTERVAL_MS / 2);
      if ((weekday === 0 || weekday === 6) !== weekend) continue;
      sum[Math.floor(hour)] += r.flow;
      count[Math.floor(hour)]++;
    }
  }
  return sum.map((s, h) => s / count[h]!);
}

describe('water meter model', () => {
  const families = Array.from({ length: 150 }, (_, i) => run(household(`wm-${i}`), 14));

  it('has a register that never goes backwards and agrees with the flow', () => {
    let steps = 0;
    let worstStep = Infinity;
    let worstMismatchLitres = 0;
    for (const series of families) {
      for (let i = 1; i < series.length; i++) {
        const litres = (series[i]!.total - series[i - 1]!.total) * 1000;
        worstStep = Math.min(worstStep, litres);
        // total grows by flow × 15 min (to the rounding of the register, 0.1 L)
        worstMismatchLitres = Math.max(worstMismatchLitres, Math.abs(litres - series[i]!.flow * 15));
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(150 * 1000);
    expect(worstStep).toBeGreaterThanOrEqual(0);
    expect(worstMismatchLitres).toBeLessThan(0.2);
  });

  it('peaks in the morning and the evening, well above the night', () => {
    const weekday = hourlyMeans(families, false);
    const night = (weekday[2]! + weekday[3]! + weekday[4]!) / 3;
    expect(weekday[7]!).toBeGreaterThan(4 * night);
    expect(weekday[19]!).toBeGreaterThan(4 * night);
    expect(weekday[7]!).toBeGreaterThan(weekday[15]!);
    expect(weekday[19]!).toBeGreaterThan(weekday[15]!);
  });

  it('gets up later at the weekend', () => {
    const weekday = hourlyMeans(families, false);
    const weekend = hourlyMeans(families, true);
    // At 07:00 a weekday household is in its morning rush; at the weekend it is still asleep ...
    expect(weekday[7]!).toBeGreaterThan(1.5 * weekend[7]!);
    // ... and uses its morning water around 09:00 instead.
    expect(weekend[9]!).toBeGreaterThan(1.3 * weekday[9]!);
  });

  it('scales with household size: a person living alone uses less than a family of five', () => {
    const daily = (profile: DeviceProfile) => {
      const series = run(profile, 14);
      return (series.at(-1)!.total - series[0]!.total) * 1000 / 14;
    };
    const alone = Array.from({ length: 40 }, (_, i) => daily(household(`a-${i}`, { householdSize: 1, livingAlone: true, age: 75 })));
    const five = Array.from({ length: 40 }, (_, i) => daily(household(`f-${i}`, { householdSize: 5 })));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(five)).toBeGreaterThan(3 * mean(alone));
    expect(mean(alone)).toBeGreaterThan(40);
    expect(mean(alone)).toBeLessThan(150);
  });

  it('never flows for two hours on end in normal use (water-running-continuously stays quiet)', () => {
    let longest = 0;
    for (const series of families) {
      let run = 0;
      for (const r of series) {
        run = r.flow > 0.5 ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
    }
    // 8 intervals of 15 min = the scenario's 2 h; households do use water for an hour at a time.
    expect(longest).toBeGreaterThanOrEqual(3);
    expect(longest).toBeLessThan(8);
  });

  it('an elderly resident living alone uses water within hours while awake (elderly-no-water stays quiet)', () => {
    let longestDry = 0;
    for (let i = 0; i < 60; i++) {
      const series = run(household(`e-${i}`, { householdSize: 1, livingAlone: true, age: 82 }), 7);
      let dryDaytimeMs = 0;
      for (const r of series) {
        const { hour } = localTime(TZ, r.ts);
        if (r.flow > 0.1) dryDaytimeMs = 0;
        else if (hour >= 6 && hour < 22) dryDaytimeMs += WATER_INTERVAL_MS;
        longestDry = Math.max(longestDry, dryDaytimeMs);
      }
    }
    expect(longestDry).toBeGreaterThan(HOUR);
    expect(longestDry).toBeLessThan(8 * HOUR);
  });

  it('stops dead for elderly_no_water and runs without a break for tap_left_running', () => {
    const profile = household('wm-x', { householdSize: 1, livingAlone: true, age: 80 });
    const rng = streamFor(1, profile.id);
    const state = waterMeter.init(profile, rng, MONDAY);
    const noWater = { kind: 'elderly_no_water' as const, startAt: MONDAY + 8 * HOUR };
    const tap = { kind: 'tap_left_running' as const, startAt: MONDAY + 8 * HOUR };
    for (let t = MONDAY + 8 * HOUR; t < MONDAY + 20 * HOUR; t += WATER_INTERVAL_MS) {
      expect(waterMeter.next(state, profile, t - WATER_INTERVAL_MS, t, rng, noWater).flow_lpm).toBe(0);
    }
    for (let t = MONDAY + 8 * HOUR; t < MONDAY + 20 * HOUR; t += WATER_INTERVAL_MS) {
      expect(waterMeter.next(state, profile, t - WATER_INTERVAL_MS, t, rng, tap).flow_lpm).toBeGreaterThan(5);
    }
  });
});
