import type { Rng } from '../random.js';
import { localTime } from '../local-time.js';
import { catalogueReporting, clamp, initRadio, isUnder, radioMetrics, round, type DeviceEffect, type DeviceModel, type DeviceProfile, type RadioState, type SimMetrics } from './device-model.js';

/**
 * A kitchen combustible-gas detector (%LEL, with a CO cell). A clean kitchen reads a fraction of a
 * percent of the lower explosive limit, well below `gas-concentration`'s yellow (5 %LEL); CO rises a
 * little while cooking. Heartbeat every 5 minutes; during a leak it reports every minute (detectors
 * report on change), the concentration ramping from the baseline to the leak's peak.
 */
// The heartbeat, the catalogue's `reportEvery` (5 minutes): catalogue/device-types.yaml.
const REPORTING = catalogueReporting('gas_detector');
export const GAS_DETECTOR_HEARTBEAT_MS = REPORTING.reportEveryMs;
export const GAS_DETECTOR_ALARM_STEP_MS = 60_000;
/** Default leak: 35 %LEL (above the 25 %LEL alarm point) reached in 20 minutes. */
export const DEFAULT_LEAK_PEAK_LEL_PCT = 35;
export const DEFAULT_LEAK_RAMP_MS = 20 * 60_000;

export interface GasDetectorState {
  baselineLelPct: number;
  radio: RadioState;
}

export const gasDetector = {
  ...REPORTING,

  init(_profile: DeviceProfile, rng: Rng): GasDetectorState {
    return { baselineLelPct: rng.uniform(0, 0.6), radio: initRadio(rng) };
  },

  next(state, profile, fromMs, toMs, rng, effect: DeviceEffect | undefined): SimMetrics {
    const { hour } = localTime(profile.timeZone, toMs);
    const cooking = (hour >= 6.5 && hour < 8) || (hour >= 11.5 && hour < 13) || (hour >= 17.5 && hour < 19.5);
    let lel = Math.max(0, rng.normal(state.baselineLelPct, 0.2));
    if (isUnder(effect, toMs) && (effect.kind === 'gas_leak' || effect.kind === 'building_gas_event')) {
      const peak = effect.peakLelPct ?? DEFAULT_LEAK_PEAK_LEL_PCT;
      const progress = Math.min(1, (toMs - effect.startAt) / (effect.rampMs ?? DEFAULT_LEAK_RAMP_MS));
      lel = state.baselineLelPct + (peak - state.baselineLelPct) * progress + rng.normal(0, 0.3);
    }
    return {
      gas_lel_pct: round(clamp(lel, 0, 100), 1),
      co_ppm: round(Math.max(0, rng.normal(cooking ? 4 : 1.5, 0.8)), 1),
      ...radioMetrics(state.radio, fromMs, toMs, rng),
    };
  },

  nextDueAt(_state, toMs, effect): number {
    // Report every minute while a leak goes on, and once more the minute it is over.
    const step = isUnder(effect, toMs) ? GAS_DETECTOR_ALARM_STEP_MS : GAS_DETECTOR_HEARTBEAT_MS;
    return toMs + step;
  },
} satisfies DeviceModel<GasDetectorState>;
