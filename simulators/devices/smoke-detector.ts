import type { Rng } from '../random.js';
import { localTime } from '../local-time.js';
import { catalogueReporting, clamp, initRadio, isUnder, radioMetrics, round, type DeviceEffect, type DeviceModel, type DeviceProfile, type RadioState, type SimMetrics } from './device-model.js';

/**
 * A photoelectric smoke detector. Heartbeat every 30 minutes (NB-IoT smoke detectors save their
 * battery; an alarm is reported at once); in a fire it reports every minute: obscuration climbs,
 * the alarm sounds once it passes the detector's set point, the room warms up.
 */
// The heartbeat, the catalogue's `reportEvery` (30 minutes): catalogue/device-types.yaml.
const REPORTING = catalogueReporting('smoke_detector');
export const SMOKE_HEARTBEAT_MS = REPORTING.reportEveryMs;
export const SMOKE_ALARM_STEP_MS = 60_000;
/** 3 %/m ≈ 0.9 %/ft: inside the UL 268 alarm sensitivity range (0.5–4.0 %/ft). */
const ALARM_SET_POINT_PCT_PER_M = 3;
const FIRE_OBSCURATION_PCT_PER_M = 12;
/** Obscuration gained per minute of fire. */
const SMOKE_RISE_PER_MIN = 4;

export interface SmokeDetectorState {
  roomTempC: number;
  radio: RadioState;
}

export const smokeDetector = {
  ...REPORTING,

  init(_profile: DeviceProfile, rng: Rng): SmokeDetectorState {
    return { roomTempC: rng.uniform(18, 25), radio: initRadio(rng) };
  },

  next(state, profile, fromMs, toMs, rng, effect: DeviceEffect | undefined): SimMetrics {
    const { hour } = localTime(profile.timeZone, toMs);
    // Warmest in the afternoon, coolest before dawn.
    let temperature = state.roomTempC + 1.5 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + rng.normal(0, 0.2);
    let obscuration = Math.max(0, rng.normal(0.1, 0.05));
    if (isUnder(effect, toMs) && effect.kind === 'smoke') {
      const minutes = (toMs - effect.startAt) / 60_000;
      obscuration = Math.min(FIRE_OBSCURATION_PCT_PER_M, 0.2 + minutes * SMOKE_RISE_PER_MIN) + rng.normal(0, 0.2);
      temperature += Math.min(30, minutes * 0.8);
    }
    obscuration = clamp(obscuration, 0, 100);
    return {
      smoke_alarm: obscuration >= ALARM_SET_POINT_PCT_PER_M,
      smoke_obscuration_pct_per_m: round(obscuration, 2),
      temperature_c: round(clamp(temperature, -50, 200), 1),
      ...radioMetrics(state.radio, fromMs, toMs, rng),
    };
  },

  nextDueAt(_state, toMs, effect): number {
    return toMs + (isUnder(effect, toMs) ? SMOKE_ALARM_STEP_MS : SMOKE_HEARTBEAT_MS);
  },
} satisfies DeviceModel<SmokeDetectorState>;
