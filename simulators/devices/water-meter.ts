import type { Rng } from '../random.js';
import { isWeekend, localTime } from '../local-time.js';
import { Diurnal } from './diurnal.js';
import { catalogueReporting, initRadio, isUnder, radioMetrics, round, type DeviceEffect, type DeviceModel, type DeviceProfile, type RadioState, type SimMetrics } from './device-model.js';

/**
 * A household water meter (15-minute intervals). Water is used in events (a flush, a shower, the
 * dishes) whose chance follows the household's daily rhythm: a morning peak around 07:00, a smaller
 * one at lunch, an evening peak around 19:30, little at night; at the weekend people get up later
 * and use water more evenly. Volume scales with household size; a person living alone uses less.
 *
 * Two rules keep normal traffic from looking like an incident, so the shipped scenarios fire on the
 * injected incidents and (almost) never on ordinary days:
 * - at most `MAX_RUN` consecutive intervals with flow, then a dry one: people do not use water
 *   without a break for an hour, and `water-running-continuously` needs two hours of flow;
 * - an elderly resident living alone still uses water at least every `MAX_DRY_AWAKE_MS` while
 *   awake (a cup of tea, the toilet), far below `elderly-no-water`'s 8 h of daytime.
 */
const WEEKDAY = new Diurnal({
  floor: 0.06,
  bumps: [{ at: 7.0, sd: 0.9, height: 1.0 }, { at: 12.3, sd: 1.0, height: 0.35 }, { at: 19.5, sd: 1.4, height: 0.8 }, { at: 22.4, sd: 0.7, height: 0.3 }],
});
const WEEKEND = new Diurnal({
  floor: 0.06,
  bumps: [{ at: 9.0, sd: 1.5, height: 0.75 }, { at: 12.5, sd: 1.2, height: 0.45 }, { at: 19.0, sd: 1.6, height: 0.8 }, { at: 22.7, sd: 0.8, height: 0.25 }],
});

// The meter's interval, the catalogue's `reportEvery` (15 minutes): catalogue/device-types.yaml.
const REPORTING = catalogueReporting('water_meter');
export const WATER_INTERVAL_MS = REPORTING.reportEveryMs;
const LITRES_PER_PERSON_DAY = 115;
const LITRES_ALONE_ELDERLY_DAY = 75;
/** Mean volume of one use (litres): a flush is 6, a shower 40, washing up 15. */
const LITRES_PER_EVENT = 9;
/** Below `elderly-no-water`'s `active` (0.1 L/min over 15 min = 1.5 L), a use is not a use. */
const MIN_EVENT_LITRES = 2;
const MAX_RUN = 4;
const MAX_DRY_AWAKE_MS = 4 * 3_600_000;
/** A tap left half open runs 6–8 L/min. */
const TAP_RUNNING_LPM = 6.5;

export interface WaterMeterState {
  totalM3: number;
  /** This household's daily litres. */
  dailyLitres: number;
  /** Consecutive intervals with flow so far. */
  run: number;
  lastUseAt: number;
  radio: RadioState;
}

export const waterMeter = {
  ...REPORTING,

  init(profile: DeviceProfile, rng: Rng, startMs: number): WaterMeterState {
    const base = isElderlyAlone(profile) ? LITRES_ALONE_ELDERLY_DAY : LITRES_PER_PERSON_DAY * profile.householdSize ** 0.85;
    return {
      totalM3: rng.uniform(5, 900),
      dailyLitres: base * Math.exp(rng.normal(0, 0.25)),
      run: 0,
      lastUseAt: startMs,
      radio: initRadio(rng),
    };
  },

  next(state, profile, fromMs, toMs, rng, effect: DeviceEffect | undefined): SimMetrics {
    const minutes = (toMs - fromMs) / 60_000;
    let litres = 0;
    if (isUnder(effect, toMs) && effect.kind === 'elderly_no_water') {
      // The resident has fallen or is unwell: not a drop, and the forced-use rule is off.
      state.run = 0;
    } else {
      litres = normalUse(state, profile, fromMs, toMs, rng);
      if (isUnder(effect, toMs) && effect.kind === 'tap_left_running') litres += Math.max(5, rng.normal(TAP_RUNNING_LPM, 0.3)) * minutes;
    }
    state.totalM3 += litres / 1000;
    return {
      flow_lpm: minutes > 0 ? round(litres / minutes, 3) : 0,
      total_m3: round(state.totalM3, 4),
      valve_open: true,
      ...radioMetrics(state.radio, fromMs, toMs, rng),
    };
  },

  nextDueAt(_state, toMs): number {
    return toMs + WATER_INTERVAL_MS;
  },
} satisfies DeviceModel<WaterMeterState>;

function normalUse(state: WaterMeterState, profile: DeviceProfile, fromMs: number, toMs: number, rng: Rng): number {
  const hours = (toMs - fromMs) / 3_600_000;
  const { hour, weekday } = localTime(profile.timeZone, (fromMs + toMs) / 2);
  const diurnal = isWeekend(weekday) ? WEEKEND : WEEKDAY;
  const expected = state.dailyLitres * diurnal.sharePerHour(hour) * hours;
  // Chance of at least one use in the interval (Poisson events of LITRES_PER_EVENT each).
  const p = Math.min(0.9, 1 - Math.exp(-expected / LITRES_PER_EVENT));
  const awake = hour >= 7 && hour < 21.5;
  const mustUse = isElderlyAlone(profile) && awake && toMs - state.lastUseAt >= MAX_DRY_AWAKE_MS;
  // Draw the chance even when the outcome is forced, so the stream stays aligned either way.
  const uses = rng.chance(p);
  if (state.run >= MAX_RUN || (!uses && !mustUse)) {
    state.run = 0;
    return 0;
  }
  state.run++;
  state.lastUseAt = toMs;
  const mean = expected / Math.max(p, 0.05);
  return Math.max(MIN_EVENT_LITRES, Math.min(mean * Math.exp(rng.normal(0, 0.35)), 25 * hours * 60));
}

export function isElderlyAlone(profile: DeviceProfile): boolean {
  return profile.livingAlone && profile.age !== undefined && profile.age >= 60;
}
