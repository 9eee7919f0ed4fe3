import type { Metrics } from './reading.js';

/**
 * A device type name (`water_meter`, `fall_detector`): one the device catalogue
 * (`catalogue/device-types.yaml`, read through `src/catalogue/`) declares. Data, not a code union,
 * so that a new type is a catalogue entry; the registry refuses a name the catalogue lacks.
 */
export type DeviceType = string;

/** The governance hierarchy: a street contains communities, a community contains grids. */
export type PlaceKind = 'street' | 'community' | 'grid';
/** Handling tiers of a dispatch order, lowest first. */
export type Tier = PlaceKind;

export interface Responsible {
  /** Name of the responsible office (e.g. "阳光社区居委会"); offices are not personal data. */
  office?: string;
  /** The grid member / official on duty. Personal data: only dispatch orders carry it. */
  person?: string;
  phone?: string;
}

export interface Place {
  id: string;
  kind: PlaceKind;
  name: string;
  parentId?: string;
  /** IANA time zone used for active hours and SLA calendars; inherited from the parent when absent. */
  timeZone: string;
  responsible?: Responsible;
}

/**
 * A resident's personal data. It never appears in logs, alerts or metrics; it leaves the engine
 * only inside a dispatch order, where the handler needs it to reach the resident.
 */
export interface PersonalData {
  name?: string;
  phone?: string;
  idNumber?: string;
  address?: string;
}

export interface Subject {
  id: string;
  kind: 'household' | 'person';
  placeId: string;
  livingAlone: boolean;
  age?: number;
  tags: string[];
  /** Further non-personal attributes usable in scenario filters (`subject.attributes.floor`). */
  attributes: Record<string, unknown>;
  /** Personal fields, kept apart so they are easy never to log. */
  personal?: PersonalData;
}

export interface Device {
  id: string;
  type: DeviceType;
  subjectId?: string;
  placeId: string;
  /** Expected reporting interval (ms), used by simulators and as a hint for offline scenarios. */
  reportEveryMs?: number;
}

/** Everything the engine knows about where a reading comes from, resolved once per device. */
export interface DeviceContext {
  device: Device;
  subject?: Subject;
  /** The device's own place (normally a grid) and its ancestors. */
  place: Place;
  grid?: Place;
  community?: Place;
  street?: Place;
  timeZone: string;
  /**
   * Dense numbers the registry gives devices and subjects (0, 1, 2, … in each of the two, never
   * reused): the device's, kept through edits of the device, and its subject's (none without a
   * subject). Per-key state is indexed by them instead of hashing the key; a number is only a
   * hint — state found by it is used only when its key is the reading's — so a context without
   * numbers (built outside a registry, as in tests) or a key without one simply takes the Map.
   */
  deviceNo?: number;
  subjectNo?: number;
  /**
   * The CEL view of this context (`device`, `subject`, `place`), built once per device so that
   * expressions never allocate per reading. Personal data is not part of it.
   */
  celView: { device: Record<string, unknown>; subject: Record<string, unknown>; place: Record<string, unknown> };
}

export interface EnrichedReading {
  deviceId: string;
  ts: number;
  receivedAt: number;
  metrics: Metrics;
  ctx: DeviceContext;
  /**
   * `ctx.deviceNo` and `ctx.subjectNo`, carried on the reading by the decoder, so that the stages
   * that key state by them need not load the context for every reading (a cache miss per reading
   * in a city-sized fleet). Absent where the context has none, or on readings made elsewhere.
   */
  deviceNo?: number;
  subjectNo?: number;
}
