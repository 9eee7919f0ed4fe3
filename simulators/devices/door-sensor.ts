import type { Rng } from '../random.js';
import { localTime } from '../local-time.js';
import { catalogueReporting, initRadio, radioMetrics, type DeviceModel, type DeviceProfile, type RadioState, type SimMetrics } from './device-model.js';
import { isElderlyAlone } from './water-meter.js';

/**
 * A front-door contact sensor. It reports when the door opens and when it closes again, and sends a
 * heartbeat every hour in between (well inside `door-not-opened`'s 6 h `maxSilence`). Checked every
 * 5 minutes: an opening is an open report at that check and a closed report at the next. Residents
 * go out in the morning and late afternoon; an elderly resident living alone goes out (or lets
 * someone in) at least once in `MAX_CLOSED_AWAKE_MS`, far below the scenario's 24 h.
 */
export const DOOR_CHECK_MS = 5 * 60_000;
// The heartbeat, the catalogue's `reportEvery` (1 hour): catalogue/device-types.yaml.
const REPORTING = catalogueReporting('door_sensor');
export const DOOR_HEARTBEAT_MS = REPORTING.reportEveryMs;
const MAX_CLOSED_AWAKE_MS = 16 * 3_600_000;

export interface DoorSensorState {
  open: boolean;
  lastReportAt: number;
  lastOpenedAt: number;
  /** Openings per day for this household. */
  opensPerDay: number;
  radio: RadioState;
}

export const doorSensor = {
  ...REPORTING,

  init(profile: DeviceProfile, rng: Rng, startMs: number): DoorSensorState {
    const opensPerDay = (isElderlyAlone(profile) ? 3 : 3 + 2 * profile.householdSize) * Math.exp(rng.normal(0, 0.2));
    return { open: false, lastReportAt: startMs, lastOpenedAt: startMs, opensPerDay, radio: initRadio(rng) };
  },

  next(state, profile, fromMs, toMs, rng): SimMetrics | undefined {
    const { hour } = localTime(profile.timeZone, toMs);
    const awake = hour >= 7 && hour < 21;
    // Openings happen while people are up, mostly in the morning and late afternoon.
    const busy = (hour >= 7.5 && hour < 10) || (hour >= 15.5 && hour < 19);
    const ratePerHour = awake ? (state.opensPerDay / 14) * (busy ? 1.8 : 0.6) : 0.01;
    const opens = rng.chance(1 - Math.exp(-ratePerHour * ((toMs - fromMs) / 3_600_000)));
    const mustOpen = isElderlyAlone(profile) && awake && toMs - state.lastOpenedAt >= MAX_CLOSED_AWAKE_MS;
    const wasOpen = state.open;
    state.open = !wasOpen && (opens || mustOpen);
    if (state.open) state.lastOpenedAt = toMs;
    if (state.open === wasOpen && toMs - state.lastReportAt < DOOR_HEARTBEAT_MS) return undefined;
    // The battery drains over the whole time since the last report, not just this check.
    const since = state.lastReportAt;
    state.lastReportAt = toMs;
    return { door_open: state.open, ...radioMetrics(state.radio, since, toMs, rng) };
  },

  nextDueAt(_state, toMs): number {
    return toMs + DOOR_CHECK_MS;
  },
} satisfies DeviceModel<DoorSensorState>;
