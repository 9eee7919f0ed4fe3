import type { Rng } from '../random.js';
import { isWeekend, localTime } from '../local-time.js';
import { Diurnal } from './diurnal.js';
import { catalogueReporting, initRadio, radioMetrics, round, type DeviceModel, type DeviceProfile, type RadioState, type SimMetrics } from './device-model.js';

/**
 * A household gas meter (hourly intervals): cooking at breakfast, lunch and dinner, the water
 * heater in the morning and evening. Dinner is the largest peak; at the weekend lunch grows.
 */
const WEEKDAY = new Diurnal({
  floor: 0.02,
  bumps: [{ at: 7.0, sd: 0.7, height: 0.6 }, { at: 12.0, sd: 0.8, height: 0.6 }, { at: 18.6, sd: 1.0, height: 1.3 }, { at: 21.5, sd: 0.8, height: 0.4 }],
});
const WEEKEND = new Diurnal({
  floor: 0.02,
  bumps: [{ at: 8.8, sd: 1.0, height: 0.5 }, { at: 12.2, sd: 1.0, height: 1.0 }, { at: 18.5, sd: 1.1, height: 1.3 }, { at: 21.8, sd: 0.8, height: 0.4 }],
});

// The meter's interval, the catalogue's `reportEvery` (1 hour): catalogue/device-types.yaml.
const REPORTING = catalogueReporting('gas_meter');
export const GAS_METER_INTERVAL_MS = REPORTING.reportEveryMs;
/** Mean gas of one use (m³): a meal on the hob is about 0.1 m³. */
const M3_PER_EVENT = 0.08;

export interface GasMeterState {
  totalM3: number;
  dailyM3: number;
  radio: RadioState;
}

export const gasMeter = {
  ...REPORTING,

  init(profile: DeviceProfile, rng: Rng): GasMeterState {
    return {
      totalM3: rng.uniform(10, 3000),
      dailyM3: (0.35 + 0.15 * profile.householdSize) * Math.exp(rng.normal(0, 0.3)),
      radio: initRadio(rng),
    };
  },

  next(state, profile, fromMs, toMs, rng): SimMetrics {
    const hours = (toMs - fromMs) / 3_600_000;
    const { hour, weekday } = localTime(profile.timeZone, (fromMs + toMs) / 2);
    const expected = state.dailyM3 * (isWeekend(weekday) ? WEEKEND : WEEKDAY).sharePerHour(hour) * hours;
    const p = Math.min(0.95, 1 - Math.exp(-expected / M3_PER_EVENT));
    const m3 = rng.chance(p) ? (expected / Math.max(p, 0.05)) * Math.exp(rng.normal(0, 0.4)) : 0;
    state.totalM3 += m3;
    return {
      flow_m3h: hours > 0 ? round(m3 / hours, 4) : 0,
      total_m3: round(state.totalM3, 4),
      valve_open: true,
      ...radioMetrics(state.radio, fromMs, toMs, rng),
    };
  },

  nextDueAt(_state, toMs): number {
    return toMs + GAS_METER_INTERVAL_MS;
  },
} satisfies DeviceModel<GasMeterState>;
