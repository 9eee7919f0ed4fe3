import type { Department } from '../contracts/order.js';
import { deviceTypeNames, isDeviceType } from '../catalogue/device-catalogue.js';
import {
  type Device,
  type DeviceContext,
  type DeviceType,
  type PersonalData,
  type Place,
  type PlaceKind,
  type Responsible,
  type Subject,
} from '../contracts/registry.js';
import { ERR_REGISTRY_INVALID, withDetails, type RiskwatchError } from '../core/errors.js';
import { findPersonalLookingKey } from './personal-data.js';
import { DEPARTMENT_KIND_PATTERN, ID_PATTERN } from './registry-schema.js';

import { DEFAULT_TIME_ZONE, isTimeZone } from '../core/local-time.js';

/** A place as given to the registry; `timeZone` may be left to inheritance. */
export interface PlaceInput {
  id: string;
  kind: PlaceKind;
  name: string;
  parentId?: string;
  timeZone?: string;
  responsible?: Responsible;
}

export interface SubjectInput {
  id: string;
  kind: 'household' | 'person';
  /** A grid id. */
  placeId: string;
  livingAlone?: boolean;
  age?: number;
  tags?: string[];
  attributes?: Record<string, unknown>;
  personal?: PersonalData;
}

export interface DeviceInput {
  id: string;
  type: DeviceType;
  subjectId?: string;
  /** Defaults to the subject's place (and follows it when the subject moves). */
  placeId?: string;
  reportEveryMs?: number;
}

/** A handling organisation the dispatch policy routes to; see `Department`. */
export type DepartmentInput = Department;

export interface RegistryData {
  places?: readonly PlaceInput[];
  subjects?: readonly SubjectInput[];
  devices?: readonly DeviceInput[];
  departments?: readonly DepartmentInput[];
}

export interface RegistryCounts {
  places: number;
  subjects: number;
  devices: number;
}

/** Which collection an ERR_REGISTRY_INVALID refers to (`details.entity`), as named in the registry file. */
export type RegistryEntity = 'places' | 'subjects' | 'devices' | 'departments';

/**
 * Why a registry was rejected (`details.rule` of ERR_REGISTRY_INVALID); tests and the API match
 * this, not the message.
 */
export type RegistryRule =
  | 'file' | 'yaml' | 'schema' | 'personal-data' | 'duplicate-id' | 'unknown-reference' | 'hierarchy' | 'cycle'
  | 'time-zone' | 'invalid-value';

/** Each kind's only allowed parent kind: a street is the top, a grid sits in a community. */
const PARENT_KIND: Record<PlaceKind, PlaceKind | undefined> = { street: undefined, community: 'street', grid: 'community' };
const SUBJECT_KINDS: ReadonlySet<string> = new Set(['household', 'person']);
const PLACE_KINDS: ReadonlySet<string> = new Set(['street', 'community', 'grid']);
const SKIP_PERSONAL: ReadonlySet<string> = new Set(['personal']);
const NO_SUBJECT_VIEW: Record<string, unknown> = Object.freeze({});
const ID = new RegExp(ID_PATTERN);
const DEPARTMENT_KIND = new RegExp(DEPARTMENT_KIND_PATTERN);

/**
 * Devices, subjects (households / persons) and places (street ⊃ community ⊃ grid), with the
 * per-device context every reading is enriched with.
 *
 * `context(deviceId)` is the hot path: one Map lookup returning a frozen DeviceContext built on
 * first use and kept until an upsert touching the device, its subject or one of its places drops it.
 * Everything handed out is frozen, so a model cannot change what another model sees.
 */
/** A device's input as the registry keeps it until a reading needs its context: with its number. */
type StoredDevice = DeviceInput & { readonly no: number };

function isContext(entry: StoredDevice | DeviceContext): entry is DeviceContext {
  return 'celView' in entry;
}

const NO_TAGS = Object.freeze([]) as unknown as string[];
const NO_ATTRIBUTES = Object.freeze({}) as Record<string, unknown>;

export class Registry {
  private readonly placeInputs = new Map<string, PlaceInput>();
  private readonly subjects_ = new Map<string, Subject>();
  /**
   * One entry per device: its normalised input until a reading needs it, then its context (which
   * holds everything the input did). One map instead of two — memory per device is the budget.
   */
  private readonly devices_ = new Map<string, StoredDevice | DeviceContext>();
  /**
   * Dense numbers (`DeviceContext.deviceNo`, `subjectNo`): a device's is kept in its entry (the
   * stored input's `no`, the context's `deviceNo`) and stays with the device through edits; a
   * subject's is kept here, by id. Numbers are never reused; a device removed and added again
   * gets a new one.
   */
  private nextDeviceNo = 0;
  private readonly subjectNumbers = new Map<string, number>();
  private generation_ = 0;
  /** Devices with a place of their own; the others follow their subject when it moves. */
  private readonly explicitPlace = new Set<string>();
  /** Places with their time zone resolved through the hierarchy. */
  private resolvedPlaces = new Map<string, Place>();
  private readonly subjectViews = new Map<string, Record<string, unknown>>();
  private readonly placeViews = new Map<string, Record<string, unknown>>();
  private readonly departments_ = new Map<string, Department>();

  /** Throws ERR_REGISTRY_INVALID (details: entity, id, index, field, rule) on the first problem. */
  constructor(data: RegistryData = {}) {
    const places = data.places ?? [];
    const subjects = data.subjects ?? [];
    const devices = data.devices ?? [];

    places.forEach((input, index) => {
      if (this.placeInputs.has(input.id)) throw duplicate('places', input.id, index);
      this.placeInputs.set(input.id, normalisePlace(input, index));
    });
    places.forEach((input, index) => this.checkPlace(this.placeInputs.get(input.id)!, index));
    this.resolvedPlaces = this.resolvePlaces();

    subjects.forEach((input, index) => {
      if (this.subjects_.has(input.id)) throw duplicate('subjects', input.id, index);
      this.subjects_.set(input.id, this.normaliseSubject(input, index));
    });

    devices.forEach((input, index) => {
      if (this.devices_.has(input.id)) throw duplicate('devices', input.id, index);
      this.setInput(this.normaliseDevice(input, index));
    });

    (data.departments ?? []).forEach((input, index) => {
      if (this.departments_.has(input.id)) throw duplicate('departments', input.id, index);
      this.departments_.set(input.id, normaliseDepartment(input, index));
    });
  }

  /** The enrichment context of a device, or undefined for a device the registry does not know. */
  context(deviceId: string): DeviceContext | undefined {
    const entry = this.devices_.get(deviceId);
    if (entry === undefined) return undefined;
    return isContext(entry) ? entry : this.buildContext(entry);
  }

  /**
   * Goes up whenever a device's entry is replaced or removed (an upsert, a removal, an edit that
   * drops its context): while it stands still, every context handed out is still current. What a cache of
   * contexts checks with one number instead of one lookup per device.
   */
  get generation(): number {
    return this.generation_;
  }

  place(id: string): Place | undefined {
    return this.resolvedPlaces.get(id);
  }

  subject(id: string): Subject | undefined {
    return this.subjects_.get(id);
  }

  device(id: string): Device | undefined {
    const entry = this.devices_.get(id);
    if (entry === undefined) return undefined;
    return isContext(entry) ? entry.device : this.resolveDevice(entry);
  }

  /** A handling department (gas company, fire station, ...) by id, as the dispatch policy names it. */
  department(id: string): Department | undefined {
    return this.departments_.get(id);
  }

  departments(): Department[] {
    return [...this.departments_.values()];
  }

  places(): Place[] {
    return [...this.resolvedPlaces.values()];
  }

  subjects(): Subject[] {
    return [...this.subjects_.values()];
  }

  devices(): Device[] {
    const result: Device[] = [];
    for (const entry of this.devices_.values()) result.push(isContext(entry) ? entry.device : this.resolveDevice(entry));
    return result;
  }

  /** Ids of the devices attached to a subject (for per-household keys and the API). */
  devicesOfSubject(subjectId: string): string[] {
    // A scan: subject edits are rare, and an index would cost memory on every household.
    const ids: string[] = [];
    for (const [id, entry] of this.devices_) if ((isContext(entry) ? entry.device.subjectId : entry.subjectId) === subjectId) ids.push(id);
    return ids;
  }

  counts(): RegistryCounts {
    return { places: this.placeInputs.size, subjects: this.subjects_.size, devices: this.devices_.size };
  }

  /**
   * Adds or replaces a place. Its descendants inherit a changed time zone; every cached context
   * with the place in its chain is dropped.
   */
  upsertPlace(input: PlaceInput): Place {
    const place = normalisePlace(input);
    const previous = this.placeInputs.get(place.id);
    this.placeInputs.set(place.id, place);
    try {
      this.checkPlace(place);
      if (previous && previous.kind !== place.kind) this.checkDependantsOf(place);
    } catch (err) {
      if (previous) this.placeInputs.set(place.id, previous);
      else this.placeInputs.delete(place.id);
      throw err;
    }
    this.resolvedPlaces = this.resolvePlaces();
    this.placeViews.clear();
    for (const entry of this.devices_.values()) {
      if (!isContext(entry)) continue;
      if (entry.place.id === place.id || entry.grid?.id === place.id || entry.community?.id === place.id || entry.street?.id === place.id) {
        this.dropContext(entry);
      }
    }
    return this.resolvedPlaces.get(place.id)!;
  }

  /** Adds or replaces a subject; the contexts of its devices are dropped. */
  upsertSubject(input: SubjectInput): Subject {
    const subject = this.normaliseSubject(input);
    this.subjects_.set(subject.id, subject);
    this.subjectViews.delete(subject.id);
    for (const entry of this.devices_.values()) if (isContext(entry) && entry.device.subjectId === subject.id) this.dropContext(entry);
    return subject;
  }

  /** Adds or replaces a device; its context is rebuilt on next use. */
  upsertDevice(input: DeviceInput): Device {
    const device = this.normaliseDevice(input);
    this.setInput(device);
    return this.resolveDevice(device);
  }

  /** Returns false when the device was not registered. */
  removeDevice(id: string): boolean {
    if (!this.devices_.delete(id)) return false;
    this.generation_++;
    this.explicitPlace.delete(id);
    return true;
  }

  /** The number of subject `id`, given now if it has none. */
  private subjectNumber(id: string): number {
    let n = this.subjectNumbers.get(id);
    if (n === undefined) {
      n = this.subjectNumbers.size;
      this.subjectNumbers.set(id, n);
    }
    return n;
  }

  /**
   * An entry of a device. Replacing an entry moves the generation on; a context built from the
   * device's input (`built`) replaces no context anyone could hold, so it does not.
   */
  private setEntry(id: string, entry: StoredDevice | DeviceContext, built = false): void {
    this.devices_.set(id, entry);
    if (!built) this.generation_++;
  }

  /** The number device `id` has (kept through an upsert), or a new one. */
  private deviceNo(id: string): number {
    const entry = this.devices_.get(id);
    if (entry === undefined) return this.nextDeviceNo++;
    return isContext(entry) ? entry.deviceNo! : entry.no;
  }

  private setInput(input: StoredDevice): void {
    this.setEntry(input.id, input);
    if (input.placeId !== undefined) this.explicitPlace.add(input.id);
    else this.explicitPlace.delete(input.id);
  }

  /** Back to the input, so the next use builds the context again from current places and subjects. */
  private dropContext(ctx: DeviceContext): void {
    const { device } = ctx;
    const input: StoredDevice = {
      id: device.id, type: device.type, subjectId: device.subjectId,
      placeId: this.explicitPlace.has(device.id) ? device.placeId : undefined, reportEveryMs: device.reportEveryMs, no: ctx.deviceNo!,
    };
    this.setEntry(device.id, Object.freeze(input));
  }

  private buildContext(input: StoredDevice): DeviceContext {
    const deviceId = input.id;
    const device = this.resolveDevice(input);
    const subject = input.subjectId ? this.subjects_.get(input.subjectId) : undefined;
    const place = this.resolvedPlaces.get(device.placeId)!;
    let grid: Place | undefined;
    let community: Place | undefined;
    let street: Place | undefined;
    for (let p: Place | undefined = place; p; p = p.parentId ? this.resolvedPlaces.get(p.parentId) : undefined) {
      if (p.kind === 'grid') grid ??= p;
      else if (p.kind === 'community') community ??= p;
      else street ??= p;
    }
    const ctx: DeviceContext = {
      device,
      subject,
      place,
      grid,
      community,
      street,
      timeZone: place.timeZone,
      deviceNo: input.no,
      // A device without a subject is keyed by its own id (keyOf), which has no subject number.
      subjectNo: subject ? this.subjectNumber(subject.id) : undefined,
      celView: Object.freeze({
        // The frozen Device itself: it holds nothing personal, and a copy per device costs memory.
        device: device as unknown as Record<string, unknown>,
        subject: subject ? this.subjectView(subject) : NO_SUBJECT_VIEW,
        place: this.placeView(place, grid, community, street),
      }),
    };
    Object.freeze(ctx);
    this.setEntry(deviceId, ctx, true);
    return ctx;
  }

  /** The subject as CEL sees it; `personal` is deliberately not part of it. */
  private subjectView(subject: Subject): Record<string, unknown> {
    let view = this.subjectViews.get(subject.id);
    if (!view) {
      view = { id: subject.id, kind: subject.kind, livingAlone: subject.livingAlone, age: subject.age, tags: subject.tags, attributes: subject.attributes };
      Object.freeze(view);
      this.subjectViews.set(subject.id, view);
    }
    return view;
  }

  private placeView(place: Place, grid?: Place, community?: Place, street?: Place): Record<string, unknown> {
    let view = this.placeViews.get(place.id);
    if (!view) {
      view = { id: place.id, name: place.name, kind: place.kind };
      if (grid) view.gridId = grid.id;
      if (community) view.communityId = community.id;
      if (street) view.streetId = street.id;
      Object.freeze(view);
      this.placeViews.set(place.id, view);
    }
    return view;
  }

  private resolveDevice(input: DeviceInput): Device {
    const device: Device = {
      id: input.id,
      type: input.type,
      // A device without its own place sits where its subject lives (checked on upsert).
      placeId: input.placeId ?? this.subjects_.get(input.subjectId!)!.placeId,
      subjectId: input.subjectId,
      reportEveryMs: input.reportEveryMs,
    };
    return Object.freeze(device);
  }

  private resolvePlaces(): Map<string, Place> {
    const resolved = new Map<string, Place>();
    const resolve = (input: PlaceInput): Place => {
      const done = resolved.get(input.id);
      if (done) return done;
      const parent = input.parentId ? this.placeInputs.get(input.parentId) : undefined;
      const place: Place = {
        id: input.id,
        kind: input.kind,
        name: input.name,
        timeZone: input.timeZone ?? (parent ? resolve(parent).timeZone : DEFAULT_TIME_ZONE),
      };
      if (input.parentId !== undefined) place.parentId = input.parentId;
      if (input.responsible !== undefined) place.responsible = input.responsible;
      Object.freeze(place);
      resolved.set(place.id, place);
      return place;
    };
    for (const input of this.placeInputs.values()) resolve(input);
    return resolved;
  }

  /** Parent exists, no cycle, and the parent has the one kind this place may sit in. */
  private checkPlace(place: PlaceInput, index?: number): void {
    const expected = PARENT_KIND[place.kind];
    if (place.parentId === undefined) {
      if (expected) throw invalid('places', place.id, index, 'parentId', 'hierarchy', `a ${place.kind} must have a ${expected} as parent`);
      return;
    }
    const parent = this.placeInputs.get(place.parentId);
    if (!parent) throw invalid('places', place.id, index, 'parentId', 'unknown-reference', `parent "${place.parentId}" is not a place`);
    const seen = new Set([place.id]);
    for (let p: PlaceInput | undefined = parent; p; p = p.parentId ? this.placeInputs.get(p.parentId) : undefined) {
      if (seen.has(p.id)) throw invalid('places', place.id, index, 'parentId', 'cycle', `parent chain ${[...seen, p.id].join(' → ')} is a cycle`);
      seen.add(p.id);
    }
    if (parent.kind !== expected) {
      throw invalid('places', place.id, index, 'parentId', 'hierarchy',
        expected ? `a ${place.kind} must have a ${expected} as parent, "${parent.id}" is a ${parent.kind}` : `a street has no parent`);
    }
  }

  /** After a place changed kind: its child places and subjects must still fit. */
  private checkDependantsOf(place: PlaceInput): void {
    for (const child of this.placeInputs.values()) if (child.parentId === place.id) this.checkPlace(child);
    if (place.kind !== 'grid') {
      for (const subject of this.subjects_.values()) {
        if (subject.placeId === place.id) {
          throw invalid('places', place.id, undefined, 'kind', 'hierarchy', `subject "${subject.id}" lives here, so it must stay a grid`);
        }
      }
    }
  }

  private normaliseSubject(input: SubjectInput, index?: number): Subject {
    if (!isId(input?.id)) throw invalid('subjects', String(input?.id), index, 'id', 'invalid-value', ID_RULE);
    if (!SUBJECT_KINDS.has(input.kind)) throw invalid('subjects', input.id, index, 'kind', 'invalid-value', `kind must be household or person`);
    if (input.age !== undefined && !(Number.isInteger(input.age) && input.age >= 0 && input.age <= 150)) {
      throw invalid('subjects', input.id, index, 'age', 'invalid-value', 'age must be an integer 0..150');
    }
    const leak = findPersonalLookingKey(input, SKIP_PERSONAL);
    if (leak) {
      throw invalid('subjects', input.id, index, leak.join('.'), 'personal-data',
        `"${String(leak[leak.length - 1])}" looks like personal data: put it under personal`);
    }
    const place = this.placeInputs.get(input.placeId);
    if (!place) throw invalid('subjects', input.id, index, 'placeId', 'unknown-reference', `place "${input.placeId}" is not a place`);
    if (place.kind !== 'grid') throw invalid('subjects', input.id, index, 'placeId', 'hierarchy', `place "${place.id}" is a ${place.kind}, subjects live in grids`);
    const subject: Subject = {
      id: input.id,
      kind: input.kind,
      placeId: input.placeId,
      livingAlone: input.livingAlone ?? false,
      // Most subjects have no tags or attributes: share one frozen empty value (memory per device).
      tags: input.tags?.length ? (Object.freeze([...input.tags]) as string[]) : NO_TAGS,
      attributes: input.attributes && Object.keys(input.attributes).length > 0 ? (deepFrozenCopy(input.attributes) as Record<string, unknown>) : NO_ATTRIBUTES,
      age: input.age,
      personal: input.personal === undefined ? undefined : Object.freeze({ ...input.personal }),
    };
    return Object.freeze(subject);
  }

  private normaliseDevice(input: DeviceInput, index?: number): StoredDevice {
    if (!isId(input?.id)) throw invalid('devices', String(input?.id), index, 'id', 'invalid-value', ID_RULE);
    // The catalogue (catalogue/device-types.yaml) is the list of types: a device of any other type
    // would have no payload schema to check its readings against.
    if (!isDeviceType(input.type)) {
      throw invalid('devices', input.id, index, 'type', 'invalid-value', `type "${String(input.type)}" is not one of ${deviceTypeNames().join(', ')}`);
    }
    const leak = findPersonalLookingKey(input);
    if (leak) throw invalid('devices', input.id, index, leak.join('.'), 'personal-data', `"${String(leak[leak.length - 1])}" looks like personal data`);
    if (input.subjectId !== undefined && !this.subjects_.has(input.subjectId)) {
      throw invalid('devices', input.id, index, 'subjectId', 'unknown-reference', `subject "${input.subjectId}" is not a subject`);
    }
    if (input.placeId !== undefined && !this.placeInputs.has(input.placeId)) {
      throw invalid('devices', input.id, index, 'placeId', 'unknown-reference', `place "${input.placeId}" is not a place`);
    }
    if (input.placeId === undefined && input.subjectId === undefined) {
      throw invalid('devices', input.id, index, 'placeId', 'unknown-reference', 'a device needs a subject or a place');
    }
    if (input.reportEveryMs !== undefined && !(Number.isFinite(input.reportEveryMs) && input.reportEveryMs > 0)) {
      throw invalid('devices', input.id, index, 'reportEveryMs', 'invalid-value', 'reportEvery must be a positive duration');
    }
    // Every field in the literal, absent ones as undefined: a property added later would cost an
    // out-of-object property array per device (measured ~40 B each across a fleet).
    const device: StoredDevice = {
      id: input.id, type: input.type, subjectId: input.subjectId, placeId: input.placeId, reportEveryMs: input.reportEveryMs, no: this.deviceNo(input.id),
    };
    return Object.freeze(device);
  }

}

function normalisePlace(input: PlaceInput, index?: number): PlaceInput {
  if (!isId(input?.id)) throw invalid('places', String(input?.id), index, 'id', 'invalid-value', ID_RULE);
  if (!PLACE_KINDS.has(input.kind)) throw invalid('places', input.id, index, 'kind', 'invalid-value', 'kind must be street, community or grid');
  if (typeof input.name !== 'string' || input.name === '') throw invalid('places', input.id, index, 'name', 'invalid-value', 'name is required');
  if (input.timeZone !== undefined && !isTimeZone(input.timeZone)) {
    throw invalid('places', input.id, index, 'timeZone', 'time-zone', `"${input.timeZone}" is not an IANA time zone`);
  }
  const place: PlaceInput = { id: input.id, kind: input.kind, name: input.name };
  if (input.parentId !== undefined) place.parentId = input.parentId;
  if (input.timeZone !== undefined) place.timeZone = input.timeZone;
  if (input.responsible !== undefined) place.responsible = Object.freeze({ ...input.responsible });
  return Object.freeze(place);
}

function normaliseDepartment(input: DepartmentInput, index?: number): Department {
  if (!isId(input?.id)) throw invalid('departments', String(input?.id), index, 'id', 'invalid-value', ID_RULE);
  if (typeof input.name !== 'string' || input.name === '') throw invalid('departments', input.id, index, 'name', 'invalid-value', 'name is required');
  if (input.kind !== undefined && !DEPARTMENT_KIND.test(input.kind)) {
    throw invalid('departments', input.id, index, 'kind', 'invalid-value', `kind must match ${DEPARTMENT_KIND_PATTERN} (one lowercase word)`);
  }
  const department: Department = { id: input.id, name: input.name };
  if (input.phone !== undefined) department.phone = input.phone;
  if (input.kind !== undefined) department.kind = input.kind;
  return Object.freeze(department);
}

const ID_RULE = `id must match ${ID_PATTERN} (it becomes an MQTT topic level)`;

function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}


function deepFrozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(deepFrozenCopy));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) copy[key] = deepFrozenCopy(child);
  return Object.freeze(copy);
}

function duplicate(entity: RegistryEntity, id: string, index: number): RiskwatchError {
  return invalid(entity, id, index, 'id', 'duplicate-id', `id "${id}" is used twice`);
}

function invalid(entity: RegistryEntity, id: string, index: number | undefined, field: string, rule: RegistryRule, reason: string): RiskwatchError {
  const details: Record<string, unknown> = { entity, id, field, rule, reason };
  if (index !== undefined) details.index = index;
  return withDetails(ERR_REGISTRY_INVALID(`${entity.slice(0, -1)} ${id}`, reason), details);
}
