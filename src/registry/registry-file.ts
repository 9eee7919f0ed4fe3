import { Ajv, type ErrorObject } from 'ajv';
import { parseDuration } from '../core/duration.js';
import { ERR_REGISTRY_INVALID, isRiskwatchError, withDetails, type RiskwatchError } from '../core/errors.js';
import { errorPath, fieldName, parseYamlSource, readSchemaFile, type DataPath, type YamlSource } from '../core/schema-file.js';
import { findPersonalLookingKey } from './personal-data.js';
import { Registry, type DepartmentInput, type DeviceInput, type PlaceInput, type RegistryEntity, type RegistryRule, type SubjectInput } from './registry.js';
import { REGISTRY_SCHEMA, type RegistryFile } from './registry-schema.js';

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validateRegistryFile = ajv.compile<RegistryFile>(REGISTRY_SCHEMA);

/** Registry field names (contracts) → the names a registry file uses. */
const FILE_FIELD: Record<string, string> = { parentId: 'parent', placeId: 'place', subjectId: 'subject', reportEveryMs: 'reportEvery' };
const SKIP_PERSONAL: ReadonlySet<string> = new Set(['personal']);

/** Reads and parses a registry file; see `parseRegistry`. */
export function loadRegistryFile(path: string): Registry {
  const read = readSchemaFile(path, path);
  // The registry reports the system's own message ("ENOENT: no such file or directory, open …").
  if ('error' in read) throw withDetails(ERR_REGISTRY_INVALID(path, read.error.message), { file: path, rule: 'file' satisfies RegistryRule });
  return parseRegistry(read.text, path);
}

/**
 * Parses registry YAML (`places`, `subjects`, `devices`, `departments`) into a Registry. Every problem is an
 * ERR_REGISTRY_INVALID whose details carry `file`, `line` (1-based), `field` (`devices[3].type`),
 * `rule` (see RegistryRule) and `reason`. Checks run in this order: YAML syntax, personal-looking
 * keys outside `personal` (before the schema, so the error says what to do rather than
 * "unknown property"), the JSON Schema, then references and hierarchy.
 */
export function parseRegistry(text: string, file = '<registry>'): Registry {
  const source = parseYamlSource(text, file);
  const first = source.doc.errors[0];
  // Only the first syntax error, in yaml's own words (its "at line x, column y" included).
  if (first) throw fileError(file, first.linePos?.[0]?.line ?? 1, '', 'yaml', first.message.split('\n')[0]!);
  let data: unknown;
  try {
    data = source.toData(1000);
  } catch (err) {
    throw fileError(file, 1, '', 'yaml', (err as Error).message);
  }

  checkPersonalKeys(data, source);

  if (!validateRegistryFile(data)) {
    const error = validateRegistryFile.errors![0]!;
    const { path, atKey } = schemaErrorPath(error);
    throw fileError(file, lineAt(source, path, atKey), fieldName(path), 'schema', describe(error));
  }

  try {
    return new Registry({
      places: (data.places ?? []).map(toPlaceInput),
      subjects: (data.subjects ?? []).map(toSubjectInput),
      devices: (data.devices ?? []).map(toDeviceInput),
      departments: (data.departments ?? []).map(toDepartmentInput),
    });
  } catch (err) {
    if (!isRiskwatchError(err) || !err.details?.entity) throw err;
    throw locateRegistryError(err, data, source);
  }
}

/**
 * The 1-based line of `path`: the first line of its value (a list's first entry), its key for
 * `atKey`, the nearest existing parent for a missing field.
 */
function lineAt(source: YamlSource, path: DataPath, atKey = false): number {
  return source.locate(path, { atKey, anchor: 'value', keysAsText: true }).line;
}

function checkPersonalKeys(data: unknown, source: YamlSource): void {
  if (data === null || typeof data !== 'object') return;
  const { subjects, devices } = data as { subjects?: unknown; devices?: unknown };
  const scans: [RegistryEntity, unknown, ReadonlySet<string> | undefined][] = [['subjects', subjects, SKIP_PERSONAL], ['devices', devices, undefined]];
  for (const [entity, entries, skip] of scans) {
    if (!Array.isArray(entries)) continue;
    for (let index = 0; index < entries.length; index++) {
      const leak = findPersonalLookingKey(entries[index], skip);
      if (!leak) continue;
      const path = [entity, index, ...leak];
      const key = String(leak[leak.length - 1]);
      const where = entity === 'subjects' ? 'move it under personal' : 'devices carry no personal data';
      throw fileError(source.file, lineAt(source, path, true), fieldName(path), 'personal-data',
        `"${key}" looks like personal data: ${where}`);
    }
  }
}

function schemaErrorPath(error: ErrorObject): { path: DataPath; atKey: boolean } {
  const path = errorPath(error);
  if (error.keyword === 'additionalProperties') return { path: [...path, String(error.params.additionalProperty)], atKey: true };
  // A missing required property has no line of its own: it is reported on the entry that lacks it.
  return { path, atKey: false };
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown property "${String(error.params.additionalProperty)}"`;
    case 'required':
      return `missing required property "${String(error.params.missingProperty)}"`;
    case 'enum':
      return `${error.message ?? 'invalid value'}: ${(error.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return error.message ?? 'invalid value';
  }
}

function locateRegistryError(err: RiskwatchError, data: RegistryFile, source: YamlSource): RiskwatchError {
  const details = err.details!;
  const entity = details.entity as RegistryEntity;
  const entries = (data[entity] ?? []) as { id: string }[];
  const index = typeof details.index === 'number' ? details.index : entries.findIndex((entry) => entry.id === details.id);
  const fieldPath = String(details.field ?? '').split('.').filter(Boolean).map((part) => FILE_FIELD[part] ?? part);
  const path: DataPath = index >= 0 ? [entity, index, ...fieldPath] : [entity];
  return withDetails(fileError(source.file, lineAt(source, path), fieldName(path), details.rule as RegistryRule, String(details.reason)), { entity, id: details.id });
}

function fileError(file: string, line: number, field: string, rule: RegistryRule, reason: string): RiskwatchError {
  const message = field ? `${field}: ${reason}` : reason;
  return withDetails(ERR_REGISTRY_INVALID(`${file}:${line}`, message), { file, line, field, rule, reason });
}

function toPlaceInput(entry: NonNullable<RegistryFile['places']>[number]): PlaceInput {
  const place: PlaceInput = { id: entry.id, kind: entry.kind, name: entry.name };
  if (entry.parent !== undefined) place.parentId = entry.parent;
  if (entry.timeZone !== undefined) place.timeZone = entry.timeZone;
  if (entry.responsible !== undefined) place.responsible = entry.responsible;
  return place;
}

function toSubjectInput(entry: NonNullable<RegistryFile['subjects']>[number]): SubjectInput {
  const subject: SubjectInput = { id: entry.id, kind: entry.kind, placeId: entry.place };
  if (entry.livingAlone !== undefined) subject.livingAlone = entry.livingAlone;
  if (entry.age !== undefined) subject.age = entry.age;
  if (entry.tags !== undefined) subject.tags = entry.tags;
  if (entry.attributes !== undefined) subject.attributes = entry.attributes;
  if (entry.personal !== undefined) subject.personal = entry.personal;
  return subject;
}

function toDeviceInput(entry: NonNullable<RegistryFile['devices']>[number]): DeviceInput {
  const device: DeviceInput = { id: entry.id, type: entry.type };
  if (entry.subject !== undefined) device.subjectId = entry.subject;
  if (entry.place !== undefined) device.placeId = entry.place;
  if (entry.reportEvery !== undefined) device.reportEveryMs = parseDuration(entry.reportEvery);
  return device;
}

function toDepartmentInput(entry: NonNullable<RegistryFile['departments']>[number]): DepartmentInput {
  const department: DepartmentInput = { id: entry.id, name: entry.name };
  if (entry.phone !== undefined) department.phone = entry.phone;
  if (entry.kind !== undefined) department.kind = entry.kind;
  return department;
}
