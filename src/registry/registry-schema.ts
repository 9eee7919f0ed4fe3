import { deviceTypeNames } from '../catalogue/device-catalogue.js';
import { DURATION_PATTERN } from '../core/duration.js';

/**
 * Ids end up in MQTT topics (`rw/telemetry/{deviceId}`) and URLs, so they may not contain `/`,
 * the MQTT wildcards `+` / `#`, `%` or spaces: a device's topic level is its id, verbatim.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const ID = { type: 'string', pattern: ID_PATTERN } as const;
/** The grammar of `core/duration.ts` (`15m`, `1h30m`, `500ms`). */
const DURATION = { type: 'string', pattern: DURATION_PATTERN } as const;
const TEXT = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** A department's kind: one lowercase word, like a scenario category. */
export const DEPARTMENT_KIND_PATTERN = '^[a-z][a-z0-9_]*$';

/**
 * JSON Schema of a registry file (YAML). The single source of truth: `schemas/registry.schema.json`
 * is a copy of this object, and a unit test keeps the two equal.
 *
 * Personal data is marked by living under `personal` (subjects) or `responsible` (places) and
 * nowhere else; the loader rejects personal-looking keys elsewhere before this schema runs.
 */
export const REGISTRY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'riskwatch registry',
  description: 'Places (street ⊃ community ⊃ grid), subjects (households / persons), devices and handling departments.',
  type: 'object',
  additionalProperties: false,
  // A section may be left empty (`devices:` with every entry commented out is YAML null).
  properties: {
    places: { type: ['array', 'null'], items: { $ref: '#/definitions/place' } },
    subjects: { type: ['array', 'null'], items: { $ref: '#/definitions/subject' } },
    devices: { type: ['array', 'null'], items: { $ref: '#/definitions/device' } },
    departments: { type: ['array', 'null'], items: { $ref: '#/definitions/department' } },
  },
  definitions: {
    place: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'kind', 'name'],
      properties: {
        id: ID,
        kind: { type: 'string', enum: ['street', 'community', 'grid'] },
        name: TEXT,
        parent: ID,
        timeZone: { type: 'string', minLength: 1, description: 'IANA time zone; inherited from the parent, Asia/Shanghai at the top.' },
        responsible: { $ref: '#/definitions/responsible' },
      },
    },
    responsible: {
      type: 'object',
      additionalProperties: false,
      description: 'Office on duty; person and phone are personal data and only ever reach dispatch orders.',
      properties: { office: TEXT, person: TEXT, phone: TEXT },
    },
    subject: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'kind', 'place'],
      properties: {
        id: ID,
        kind: { type: 'string', enum: ['household', 'person'] },
        place: { ...ID, description: 'A grid id.' },
        livingAlone: { type: 'boolean' },
        age: { type: 'integer', minimum: 0, maximum: 150 },
        tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } },
        attributes: { type: 'object', description: 'Non-personal attributes usable in scenario filters.' },
        personal: { $ref: '#/definitions/personal' },
      },
    },
    personal: {
      type: 'object',
      additionalProperties: false,
      description: 'Personal data: never logged, never in alerts; only dispatch orders carry it.',
      properties: { name: TEXT, phone: TEXT, idNumber: TEXT, address: { type: 'string', minLength: 1, maxLength: 500 } },
    },
    device: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'type'],
      properties: {
        id: ID,
        type: { type: 'string', enum: [...deviceTypeNames()], description: 'A device type of the device catalogue (catalogue/device-types.yaml).' },
        subject: ID,
        place: { ...ID, description: "Defaults to the subject's place." },
        reportEvery: { ...DURATION, description: 'Expected reporting interval, e.g. 15m.' },
      },
    },
    department: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name'],
      description: 'A handling organisation the dispatch policy can route to (gas company, water company, fire station, property management).',
      properties: {
        id: { ...ID, description: 'Referred to by the dispatch policy (`then.department`).' },
        name: TEXT,
        phone: { ...TEXT, description: "The organisation's duty hotline: not personal data, it travels with every order routed here." },
        kind: { type: 'string', pattern: DEPARTMENT_KIND_PATTERN, description: 'What it handles, one lowercase word: gas, water, fire, property, ...' },
      },
    },
  },
} as const;

/** A registry file as written (YAML field names), after schema validation. */
export interface RegistryFile {
  places?: PlaceEntry[] | null;
  subjects?: SubjectEntry[] | null;
  devices?: DeviceEntry[] | null;
  departments?: DepartmentEntry[] | null;
}

export interface PlaceEntry {
  id: string;
  kind: 'street' | 'community' | 'grid';
  name: string;
  parent?: string;
  timeZone?: string;
  responsible?: { office?: string; person?: string; phone?: string };
}

export interface SubjectEntry {
  id: string;
  kind: 'household' | 'person';
  place: string;
  livingAlone?: boolean;
  age?: number;
  tags?: string[];
  attributes?: Record<string, unknown>;
  personal?: { name?: string; phone?: string; idNumber?: string; address?: string };
}

export interface DeviceEntry {
  id: string;
  /** A device type name the catalogue declares. */
  type: string;
  subject?: string;
  place?: string;
  reportEvery?: string;
}

export interface DepartmentEntry {
  id: string;
  name: string;
  phone?: string;
  kind?: string;
}
