import { parse as parseYaml } from 'yaml';
import type { IncidentKind, IncidentLabel } from '../src/contracts/recording.js';
import { deviceTypeNames } from '../src/catalogue/device-catalogue.js';
import type { DeviceType } from '../src/contracts/registry.js';
import { parseDuration } from '../src/core/duration.js';
import type { DeviceEffect, DeviceProfile } from './devices/device-model.js';
import { DEFAULT_LEAK_PEAK_LEL_PCT, DEFAULT_LEAK_RAMP_MS } from './devices/gas-detector.js';
import { isElderlyAlone, WATER_INTERVAL_MS } from './devices/water-meter.js';
import { localTime } from './local-time.js';
import type { Fleet } from './fleet.js';
import { streamFor } from './random.js';

export const INCIDENT_KINDS: readonly IncidentKind[] = ['elderly_no_water', 'tap_left_running', 'gas_leak', 'smoke', 'meter_silent', 'building_gas_event'];

/** The shipped scenarios (rules/*.yaml) each kind of incident should raise, given enough time. */
export const EXPECTED_SCENARIOS: Readonly<Record<IncidentKind, readonly string[]>> = {
  elderly_no_water: ['elderly-no-water'],
  tap_left_running: ['water-running-continuously'],
  gas_leak: ['gas-concentration'],
  smoke: ['smoke-alarm'],
  meter_silent: ['meter-offline'],
  building_gas_event: ['gas-concentration'],
};

/** An incident as asked for (CLI flag, timeline file or the random planner), before it is resolved to devices. */
export interface IncidentSpec {
  kind: IncidentKind;
  /**
   * Whom it happens to: a device id, or a subject id (its devices of the right type); for
   * building_gas_event a device id (its building) or a grid id (every gas detector in it).
   */
  target: string;
  /** Start, epoch ms (event time). */
  at: number;
  /** How long it lasts; open-ended (to the end of the simulation) when absent. */
  durationMs?: number;
}

export interface IncidentPlan {
  /** One per injected incident, in the order asked for. */
  labels: IncidentLabel[];
  /** What each affected device experiences, sorted by start. */
  effects: Map<string, DeviceEffect[]>;
}

/**
 * Resolves incident specs against a fleet: which devices carry each incident, and the label that
 * says so. `expectedScenarios` names the shipped scenarios the incident should raise *within the
 * simulated window* [startMs, endMs): an incident too short for the scenario's first level (a tap
 * running for an hour, a meter silent for 30 minutes), or aimed at a household the scenario does
 * not watch (no water use by a family), expects none. Throws on a target that does not exist or
 * has no device the incident can affect.
 */
export function planIncidents(fleet: Fleet, specs: readonly IncidentSpec[], window: { startMs: number; endMs: number }, seed = 0): IncidentPlan {
  const index = indexFleet(fleet);
  const labels: IncidentLabel[] = [];
  const effects = new Map<string, DeviceEffect[]>();
  const addEffect = (deviceId: string, effect: DeviceEffect) => {
    const list = effects.get(deviceId);
    if (list) list.push(effect);
    else effects.set(deviceId, [effect]);
  };
  specs.forEach((spec, i) => {
    const id = `inc-${String(i + 1).padStart(4, '0')}`;
    const endAt = spec.durationMs !== undefined ? spec.at + spec.durationMs : undefined;
    const targets = resolveTargets(index, spec);
    const subjects = new Set(targets.map((d) => d.subjectId));
    const subjectId = subjects.size === 1 ? targets[0]!.subjectId : undefined;
    const until = Math.min(endAt ?? window.endMs, window.endMs);
    // Fields in the order a reader scans a label: what, who, when, what should fire.
    labels.push({
      id,
      kind: spec.kind,
      deviceIds: targets.map((d) => d.id),
      ...(subjectId !== undefined ? { subjectId } : {}),
      startAt: spec.at,
      ...(endAt !== undefined ? { endAt } : {}),
      expectedScenarios: expects(spec.kind, targets, spec.at, until) ? [...EXPECTED_SCENARIOS[spec.kind]] : [],
    });
    const rng = streamFor(seed, id);
    for (const device of targets) {
      const effect: DeviceEffect = { kind: spec.kind, startAt: spec.at };
      if (endAt !== undefined) effect.endAt = endAt;
      if (spec.kind === 'gas_leak') {
        effect.peakLelPct = DEFAULT_LEAK_PEAK_LEL_PCT;
        effect.rampMs = DEFAULT_LEAK_RAMP_MS;
      } else if (spec.kind === 'building_gas_event') {
        // One building, one gas supply: every detector climbs over the same quarter of an hour, to
        // its own peak (nearer to the fault, more gas).
        effect.peakLelPct = Math.round(rng.uniform(28, 45));
        effect.rampMs = Math.round(rng.uniform(10, 20)) * 60_000;
      }
      addEffect(device.id, effect);
    }
  });
  for (const list of effects.values()) list.sort((a, b) => a.startAt - b.startAt);
  return { labels, effects };
}

/** Would the shipped scenario see this incident within the window? (thresholds from rules/*.yaml) */
function expects(kind: IncidentKind, targets: DeviceProfile[], startAt: number, until: number): boolean {
  const lasts = until - startAt;
  switch (kind) {
    case 'elderly_no_water':
      // 8 h of 06:00–22:00 local time without use (yellow), plus one meter interval to see it.
      return targets.every(isElderlyAlone) && activeHoursMs(targets[0]!.timeZone, startAt, until) >= 8 * 3_600_000 + WATER_INTERVAL_MS;
    case 'tap_left_running':
      return lasts >= 2 * 3_600_000 + 2 * WATER_INTERVAL_MS;
    case 'meter_silent':
      return targets.every((d) => d.type === 'water_meter' || d.type === 'gas_meter') && lasts > 2 * 3_600_000;
    case 'gas_leak':
    case 'building_gas_event':
      return lasts >= DEFAULT_LEAK_RAMP_MS;
    case 'smoke':
      return lasts >= 2 * 60_000;
  }
}

/** Time inside 06:00–22:00 local between two instants, counted in 5-minute steps. */
function activeHoursMs(timeZone: string, fromMs: number, toMs: number): number {
  const step = 5 * 60_000;
  let total = 0;
  for (let t = fromMs; t < toMs; t += step) {
    const { hour } = localTime(timeZone, t);
    if (hour >= 6 && hour < 22) total += Math.min(step, toMs - t);
  }
  return total;
}

/** Which device types each incident acts on. */
const AFFECTS: Readonly<Record<IncidentKind, readonly DeviceType[]>> = {
  elderly_no_water: ['water_meter'],
  tap_left_running: ['water_meter'],
  gas_leak: ['gas_detector'],
  smoke: ['smoke_detector'],
  // Any device can go silent: every type of the device catalogue.
  meter_silent: deviceTypeNames(),
  building_gas_event: ['gas_detector'],
};

interface FleetIndex {
  byId: Map<string, DeviceProfile>;
  bySubject: Map<string, DeviceProfile[]>;
  byBuilding: Map<string, DeviceProfile[]>;
  byPlace: Map<string, DeviceProfile[]>;
}

function indexFleet(fleet: Fleet): FleetIndex {
  const index: FleetIndex = { byId: new Map(), bySubject: new Map(), byBuilding: new Map(), byPlace: new Map() };
  const push = (map: Map<string, DeviceProfile[]>, key: string, d: DeviceProfile) => {
    const list = map.get(key);
    if (list) list.push(d);
    else map.set(key, [d]);
  };
  for (const d of fleet.devices) {
    index.byId.set(d.id, d);
    if (d.subjectId !== undefined) push(index.bySubject, d.subjectId, d);
    push(index.byBuilding, d.building, d);
    push(index.byPlace, d.placeId, d);
  }
  return index;
}

function resolveTargets(index: FleetIndex, spec: IncidentSpec): DeviceProfile[] {
  const types = AFFECTS[spec.kind];
  const fits = (d: DeviceProfile) => types.includes(d.type);
  const device = index.byId.get(spec.target);
  let targets: DeviceProfile[];
  if (spec.kind === 'building_gas_event') {
    const group = device ? index.byBuilding.get(device.building) : index.byPlace.get(spec.target);
    targets = (group ?? []).filter(fits);
  } else if (spec.kind === 'elderly_no_water') {
    // The resident's every water meter (kitchen and bathroom) goes quiet.
    const subjectId = device ? device.subjectId : spec.target;
    targets = subjectId !== undefined ? (index.bySubject.get(subjectId) ?? []).filter(fits) : [];
  } else if (device) {
    targets = fits(device) ? [device] : [];
  } else {
    const first = (index.bySubject.get(spec.target) ?? []).find(fits);
    targets = first ? [first] : [];
  }
  if (targets.length === 0) {
    const known = device !== undefined || index.bySubject.has(spec.target) || index.byPlace.has(spec.target);
    throw new Error(known
      ? `incident ${spec.kind}: ${spec.target} has no ${types.join(' or ')} to affect`
      : `incident ${spec.kind}: no device, household or grid ${spec.target} in the fleet`);
  }
  return targets;
}

/** Default lengths of incidents the CLI and the random planner make; absent: to the end. */
const DEFAULT_DURATION_MS: Readonly<Partial<Record<IncidentKind, number>>> = {
  tap_left_running: 8 * 3_600_000,
  gas_leak: 3_600_000,
  smoke: 30 * 60_000,
  building_gas_event: 3_600_000,
};

function isIncidentKind(text: string): text is IncidentKind {
  return (INCIDENT_KINDS as readonly string[]).includes(text);
}

/**
 * `kind:target@when[/duration]`, as `--incident` takes it: `when` is an offset from the simulation
 * start (`2h`, `1d6h`) or an ISO date-time; `duration` defaults per kind (a tap runs 8 h, a leak or a
 * building event 1 h, a fire 30 min; no water use and a silent meter last to the end).
 * Example: `gas_leak:gd-000012@6h30m/45m`.
 */
export function parseIncidentFlag(text: string, startMs: number): IncidentSpec {
  const match = /^([a-z_]+):([^@]+)@([^/]+)(?:\/(.+))?$/.exec(text.trim());
  if (!match) throw new Error(`--incident "${text}": expected kind:target@offset[/duration], e.g. gas_leak:gd-000012@6h/45m`);
  const [, kind, target, when, duration] = match;
  return incidentSpec({ kind: kind!, target: target!, at: when!, ...(duration !== undefined ? { for: duration } : {}) }, startMs, `--incident "${text}"`);
}

/** One entry of a timeline file. */
export interface TimelineEntry {
  kind: string;
  target: string;
  /** Offset from the simulation start (`6h`) or an ISO date-time. */
  at: string | number;
  /** Duration (`45m`). */
  for?: string | number;
}

/**
 * A timeline file: a YAML (or JSON) list of `{kind, target, at, for?}`, or an object with such a
 * list under `incidents`.
 */
export function parseTimeline(text: string, startMs: number, file = '<timeline>'): IncidentSpec[] {
  const doc = parseYaml(text) as unknown;
  const list = Array.isArray(doc) ? doc : (doc as { incidents?: unknown } | null)?.incidents;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a list of incidents ({kind, target, at, for?})`);
  return list.map((entry, i) => {
    if (entry === null || typeof entry !== 'object') throw new Error(`${file}: incidents[${i}] is not an object`);
    return incidentSpec(entry as TimelineEntry, startMs, `${file}: incidents[${i}]`);
  });
}

function incidentSpec(entry: TimelineEntry, startMs: number, where: string): IncidentSpec {
  const { kind, target } = entry;
  if (typeof kind !== 'string' || !isIncidentKind(kind)) throw new Error(`${where}: kind must be one of ${INCIDENT_KINDS.join(', ')}`);
  if (typeof target !== 'string' || target === '') throw new Error(`${where}: target must be a device, household or grid id`);
  const spec: IncidentSpec = { kind, target, at: parseWhen(entry.at, startMs, where) };
  const durationMs = entry.for !== undefined ? parseDurationIn(entry.for, where) : DEFAULT_DURATION_MS[kind];
  if (durationMs !== undefined) spec.durationMs = durationMs;
  return spec;
}

function parseWhen(at: unknown, startMs: number, where: string): number {
  if (typeof at === 'number') return startMs + at;
  if (typeof at !== 'string') throw new Error(`${where}: at must be an offset such as 6h or an ISO date-time`);
  if (/^\d{4}-\d{2}-\d{2}T/.test(at)) {
    const ms = Date.parse(at);
    if (Number.isNaN(ms)) throw new Error(`${where}: "${at}" is not a date-time`);
    return ms;
  }
  return startMs + parseDurationIn(at, where);
}

function parseDurationIn(value: unknown, where: string): number {
  try {
    return parseDuration(value as string | number);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

/**
 * `n` incidents chosen from the seed: the kinds in turn, each on a household (or building) not
 * already hit, starting within the first half of the window at a whole minute, with the default
 * durations. A kind the fleet cannot host (no gas detectors, no elderly resident living alone) is
 * skipped.
 */
export function randomIncidents(fleet: Fleet, n: number, window: { startMs: number; endMs: number }, seed: number): IncidentSpec[] {
  const rng = streamFor(seed, 'incidents');
  // No two incidents share a household, and a building event has its building to itself, so
  // every label describes exactly what its devices show.
  const usedSubjects = new Set<string>();
  const buildingsHit = new Set<string>();
  const buildingEvents = new Set<string>();
  const specs: IncidentSpec[] = [];
  const candidates: Record<IncidentKind, DeviceProfile[]> = {
    elderly_no_water: fleet.devices.filter((d) => d.type === 'water_meter' && isElderlyAlone(d)),
    tap_left_running: fleet.devices.filter((d) => d.type === 'water_meter'),
    gas_leak: fleet.devices.filter((d) => d.type === 'gas_detector'),
    smoke: fleet.devices.filter((d) => d.type === 'smoke_detector'),
    meter_silent: fleet.devices.filter((d) => d.type === 'water_meter' || d.type === 'gas_meter'),
    building_gas_event: fleet.devices.filter((d) => d.type === 'gas_detector'),
  };
  const span = window.endMs - window.startMs;
  for (let i = 0, misses = 0; specs.length < n && misses < INCIDENT_KINDS.length; i++) {
    const kind = INCIDENT_KINDS[i % INCIDENT_KINDS.length]!;
    const free = kind === 'building_gas_event'
      ? candidates[kind].filter((d) => !buildingsHit.has(d.building))
      : candidates[kind].filter((d) => !usedSubjects.has(d.subjectId ?? d.id) && !buildingEvents.has(d.building));
    if (free.length === 0) {
      misses++;
      continue;
    }
    misses = 0;
    const device = rng.pick(free);
    usedSubjects.add(device.subjectId ?? device.id);
    buildingsHit.add(device.building);
    if (kind === 'building_gas_event') buildingEvents.add(device.building);
    const at = window.startMs + Math.floor((rng.uniform(0.05, 0.5) * span) / 60_000) * 60_000;
    const spec: IncidentSpec = { kind, target: device.id, at };
    const duration = DEFAULT_DURATION_MS[kind];
    if (duration !== undefined) spec.durationMs = duration;
    specs.push(spec);
  }
  return specs;
}
