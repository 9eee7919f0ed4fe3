import { deviceTypeSpec } from '../../src/catalogue/device-catalogue.js';
import type { DeviceType } from '../../src/contracts/registry.js';
import type { IncidentKind } from '../../src/contracts/recording.js';
import type { Rng } from '../random.js';

/** The metrics of one reading, as published (`{"ts": ..., "metrics": {...}}`). */
export type SimMetrics = Record<string, number | boolean>;

/**
 * What a device model needs to know about the device and the household it sits in. Nothing
 * personal: the simulator never sees names or phone numbers, and never writes them.
 */
export interface DeviceProfile {
  id: string;
  type: DeviceType;
  subjectId?: string;
  placeId: string;
  timeZone: string;
  /** People in the household (1 for a person living alone). */
  householdSize: number;
  livingAlone: boolean;
  age?: number;
  /** The building the device is in (`{grid}/{building}`), or the grid when the registry says none. */
  building: string;
}

/**
 * An injected incident as one device experiences it, from `startAt` until `endAt` (exclusive;
 * open-ended when absent). A reading taken at time t is under the effect when startAt ≤ t < endAt.
 */
export interface DeviceEffect {
  kind: IncidentKind;
  startAt: number;
  endAt?: number;
  /** gas_leak / building_gas_event: the %LEL the ramp reaches. */
  peakLelPct?: number;
  /** gas_leak / building_gas_event: how long the ramp takes to reach the peak. */
  rampMs?: number;
}

/**
 * One device type's behaviour over simulated time. Pure apart from the state object it is handed
 * and the device's own random stream: the same (profile, stream, calls) give the same readings.
 *
 * Lifecycle: `init` once at the simulation start → `next` at each due time (the interval
 * `(fromMs, toMs]` since the previous call) → `nextDueAt` says when to call `next` again.
 */
export interface DeviceModel<S> {
  readonly type: DeviceType;
  /** The nominal reporting interval (also written to the registry as `reportEvery`): the catalogue's `reportEvery`. */
  readonly reportEveryMs: number;
  /**
   * True for devices that report on a change (detectors, door sensors): the simulation wakes them
   * at an incident's start so the alarm goes out at once, not at the next heartbeat. The
   * catalogue's `reportsOnEvent`.
   */
  readonly reportsOnEvent: boolean;
  init(profile: DeviceProfile, rng: Rng, startMs: number): S;
  /** The reading taken at `toMs`, or undefined when the device has nothing to send this time. */
  next(state: S, profile: DeviceProfile, fromMs: number, toMs: number, rng: Rng, effect: DeviceEffect | undefined): SimMetrics | undefined;
  /** When the device takes its next reading after `toMs`. */
  nextDueAt(state: S, toMs: number, effect: DeviceEffect | undefined): number;
}

/**
 * What the device catalogue says about a type's reporting, for a hand-written model to carry:
 * its name, interval and whether it reports on events. The catalogue is the one place these are
 * set, so a changed `reportEvery` reaches the model, the registry and the simulation alike.
 */
export function catalogueReporting(type: DeviceType): { type: DeviceType; reportEveryMs: number; reportsOnEvent: boolean } {
  const spec = deviceTypeSpec(type);
  if (!spec) throw new Error(`device type "${type}" is not in the device catalogue`);
  return { type, reportEveryMs: spec.reportEveryMs, reportsOnEvent: spec.reportsOnEvent };
}

/** Rounds for the wire: fixed decimals keep recordings short and stable. */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/**
 * Battery and radio fields every device carries: a slowly draining battery (a 10-year NB-IoT meter
 * loses about 1 % a month) and a signal that wanders around the spot's own level.
 */
export interface RadioState {
  batteryPct: number;
  signalBaseDbm: number;
}

export function initRadio(rng: Rng): RadioState {
  return { batteryPct: rng.uniform(55, 100), signalBaseDbm: rng.uniform(-118, -72) };
}

const BATTERY_DRAIN_PER_HOUR = 1 / (30 * 24);

export function radioMetrics(radio: RadioState, fromMs: number, toMs: number, rng: Rng): { battery_pct: number; signal_dbm: number } {
  radio.batteryPct = Math.max(0, radio.batteryPct - ((toMs - fromMs) / 3_600_000) * BATTERY_DRAIN_PER_HOUR);
  return {
    battery_pct: round(radio.batteryPct, 1),
    signal_dbm: Math.round(clamp(rng.normal(radio.signalBaseDbm, 3), -140, 0)),
  };
}

/** The effect a reading at `atMs` is under, if any. */
export function isUnder(effect: DeviceEffect | undefined, atMs: number): effect is DeviceEffect {
  return effect !== undefined && effect.startAt <= atMs && (effect.endAt === undefined || atMs < effect.endAt);
}
