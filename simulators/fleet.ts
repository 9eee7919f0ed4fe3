import { deviceTypeSpec } from '../src/catalogue/device-catalogue.js';
import type { DeviceType } from '../src/contracts/registry.js';
import type { DeviceInput, PlaceInput, Registry, RegistryData, SubjectInput } from '../src/registry/registry.js';
import type { DeviceProfile } from './devices/device-model.js';
import { streamFor } from './random.js';

/** The devices a simulation runs, in a fixed order (the registry's). */
export interface Fleet {
  devices: readonly DeviceProfile[];
}

/** Household size when the registry does not say (`attributes.householdSize`). */
const DEFAULT_FAMILY_SIZE = 3;

/**
 * The fleet of a registry: every device with the household facts its model needs. A household's
 * size comes from `attributes.householdSize` (1 for a resident living alone, else 3 when absent);
 * its building from `attributes.building` within its grid (else the grid is the building).
 */
export function fleetFromRegistry(registry: Registry): Fleet {
  const devices: DeviceProfile[] = [];
  for (const device of registry.devices()) {
    const subject = device.subjectId ? registry.subject(device.subjectId) : undefined;
    const place = registry.place(device.placeId)!;
    const size = subject?.attributes.householdSize;
    const building = subject?.attributes.building;
    const profile: DeviceProfile = {
      id: device.id,
      type: device.type,
      placeId: device.placeId,
      timeZone: place.timeZone,
      householdSize: typeof size === 'number' && size >= 1 ? size : subject?.livingAlone ? 1 : DEFAULT_FAMILY_SIZE,
      livingAlone: subject?.livingAlone ?? false,
      building: building !== undefined ? `${subject!.placeId}/${String(building)}` : device.placeId,
    };
    if (subject) profile.subjectId = subject.id;
    if (subject?.age !== undefined) profile.age = subject.age;
    devices.push(profile);
  }
  return { devices };
}

export interface CityOptions {
  households: number;
  seed: number;
  /** IANA zone of the city (default Asia/Shanghai). */
  timeZone?: string;
}

/** A building of 6 floors × 4 flats; 10 buildings a grid, 8 grids a community, 6 communities a street. */
const FLATS_PER_BUILDING = 24;
const FLATS_PER_FLOOR = 4;
const BUILDINGS_PER_GRID = 10;
const GRIDS_PER_COMMUNITY = 8;
const COMMUNITIES_PER_STREET = 6;

/** The departments the shipped dispatch policy routes to (rules/dispatch/policy.yaml). */
const DEPARTMENTS = [
  { id: 'gas-company', kind: 'gas', name: 'City gas company' },
  { id: 'water-company', kind: 'water', name: 'City water company' },
  { id: 'fire-station', kind: 'fire', name: 'City fire station' },
  { id: 'property-management', kind: 'property', name: 'City property management' },
];

/**
 * A generated city as registry data (load it with `new Registry(...)`): streets ⊃ communities ⊃
 * grids of apartment buildings, one household per flat. About one household in eight is an
 * elderly resident (60–95) living alone — every one with a water meter and a door sensor — one in
 * ten a younger person living alone, the rest families of 2–5. Three in four households have piped
 * gas (a gas meter, and in most a kitchen gas detector); half have a smoke detector.
 *
 * Household `h` depends only on the seed and `h` (its own random stream, its place from its
 * number), so a city of 101 households is the city of 100 plus one: no other household changes.
 * No personal data is generated.
 */
export function generateCity(options: CityOptions): RegistryData {
  const { households, seed } = options;
  if (!Number.isInteger(households) || households < 1) throw new Error(`households must be a positive integer, got ${households}`);
  const buildings = Math.ceil(households / FLATS_PER_BUILDING);
  const grids = Math.ceil(buildings / BUILDINGS_PER_GRID);
  const communities = Math.ceil(grids / GRIDS_PER_COMMUNITY);
  const streets = Math.ceil(communities / COMMUNITIES_PER_STREET);

  const places: PlaceInput[] = [];
  for (let s = 0; s < streets; s++) {
    places.push({ id: `st-${s + 1}`, kind: 'street', name: `Street ${s + 1}`, timeZone: options.timeZone ?? 'Asia/Shanghai', responsible: { office: `Street ${s + 1} operations centre` } });
  }
  for (let c = 0; c < communities; c++) {
    const parentId = `st-${Math.floor(c / COMMUNITIES_PER_STREET) + 1}`;
    places.push({ id: `cm-${c + 1}`, kind: 'community', name: `Community ${c + 1}`, parentId, responsible: { office: `Community ${c + 1} residents' committee` } });
  }
  for (let g = 0; g < grids; g++) {
    const parentId = `cm-${Math.floor(g / GRIDS_PER_COMMUNITY) + 1}`;
    places.push({ id: `gr-${g + 1}`, kind: 'grid', name: `Grid ${g + 1}`, parentId, responsible: { office: `Grid ${g + 1} station` } });
  }

  const subjects: SubjectInput[] = [];
  const devices: DeviceInput[] = [];
  const add = (prefix: string, n: string, type: DeviceType, subjectId: string) =>
    devices.push({ id: `${prefix}-${n}`, type, subjectId, reportEveryMs: deviceTypeSpec(type)!.reportEveryMs });
  for (let h = 0; h < households; h++) {
    const n = String(h + 1).padStart(6, '0');
    const id = `hh-${n}`;
    const rng = streamFor(seed, id);
    const building = Math.floor(h / FLATS_PER_BUILDING);
    const flat = h % FLATS_PER_BUILDING;
    const kind = rng.next();
    let age: number;
    let size: number;
    const tags: string[] = [];
    if (kind < 0.125) {
      age = rng.int(60, 95);
      size = 1;
      tags.push('elderly', 'living_alone');
    } else if (kind < 0.225) {
      age = rng.int(22, 59);
      size = 1;
      tags.push('living_alone');
    } else {
      age = rng.int(28, 80);
      size = rng.int(2, 5);
      if (age >= 60) tags.push('elderly');
    }
    const pipedGas = rng.chance(0.75);
    const gasDetector = pipedGas && rng.chance(0.7);
    const smoke = rng.chance(0.5);
    const door = rng.chance(0.05);
    subjects.push({
      id,
      kind: 'household',
      placeId: `gr-${Math.floor(building / BUILDINGS_PER_GRID) + 1}`,
      livingAlone: size === 1,
      age,
      tags,
      attributes: { building: String((building % BUILDINGS_PER_GRID) + 1), floor: Math.floor(flat / FLATS_PER_FLOOR) + 1, householdSize: size, pipedGas },
    });
    add('wm', n, 'water_meter', id);
    if (pipedGas) add('gm', n, 'gas_meter', id);
    if (gasDetector) add('gd', n, 'gas_detector', id);
    if (smoke) add('sd', n, 'smoke_detector', id);
    if (door || (size === 1 && age >= 60)) add('ds', n, 'door_sensor', id);
  }
  return { places, subjects, devices, departments: DEPARTMENTS };
}

/**
 * Registry data in the registry file's own field names (`parent`, `place`, `subject`,
 * `reportEvery`), so `riskwatch simulate --write-registry` output loads with `--registry`. JSON is
 * YAML, so the file is JSON: quick to write for a city of 100 000 households.
 */
export function registryFileOf(data: RegistryData): Record<string, unknown> {
  return {
    places: (data.places ?? []).map(({ parentId, ...rest }) => (parentId === undefined ? rest : { ...rest, parent: parentId })),
    subjects: (data.subjects ?? []).map(({ placeId, ...rest }) => ({ ...rest, place: placeId })),
    devices: (data.devices ?? []).map(({ subjectId, placeId, reportEveryMs, ...rest }) => {
      const entry: Record<string, unknown> = { ...rest };
      if (subjectId !== undefined) entry.subject = subjectId;
      if (placeId !== undefined) entry.place = placeId;
      if (reportEveryMs !== undefined) entry.reportEvery = `${Math.round(reportEveryMs / 1000)}s`;
      return entry;
    }),
    departments: data.departments ?? [],
  };
}
