import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTypeNames } from '../../../src/catalogue/device-catalogue.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { loadRegistryFile, parseRegistry } from '../../../src/registry/registry-file.js';

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected an error');
}

/** 1-based line of the first line containing `needle`, and that it is unique. */
function lineWith(text: string, needle: string): number {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  expect(index).toBeGreaterThanOrEqual(0);
  expect(lines.filter((l) => l.includes(needle))).toHaveLength(1);
  return index + 1;
}

const PLACES = `places:
  - id: st-1
    kind: street
    name: Test Street
  - id: cm-1
    kind: community
    name: Test Community
    parent: st-1
  - id: gr-1
    kind: grid
    name: Test Grid
    parent: cm-1
`;

function registryText(subjects: string, devices: string, places = PLACES): string {
  return `${places}subjects:\n${subjects}devices:\n${devices}`;
}

const ONE_SUBJECT = `  - id: hh-1
    kind: household
    place: gr-1
    livingAlone: true
    age: 81
    personal: { name: Test Person, phone: "+86 000 0000 0000" }
`;

describe('loadRegistryFile: the demo city', () => {
  const registry = loadRegistryFile('registry/demo.yaml');

  it('has one street, two communities, four grids and about two dozen households', () => {
    const places = registry.places();
    expect(places.filter((p) => p.kind === 'street')).toHaveLength(1);
    expect(places.filter((p) => p.kind === 'community')).toHaveLength(2);
    expect(places.filter((p) => p.kind === 'grid')).toHaveLength(4);
    expect(registry.counts().subjects).toBeGreaterThanOrEqual(20);
    expect(registry.counts()).toEqual({ places: places.length, subjects: registry.subjects().length, devices: registry.devices().length });
  });

  it('gives every household a water meter and uses every device type', () => {
    const devices = registry.devices();
    for (const subject of registry.subjects()) {
      expect(devices.some((d) => d.subjectId === subject.id && d.type === 'water_meter')).toBe(true);
    }
    expect(new Set(devices.map((d) => d.type))).toEqual(new Set(deviceTypeNames()));
  });

  it('includes elderly residents living alone, with personal data only under personal', () => {
    const alone = registry.subjects().filter((s) => s.livingAlone && (s.age ?? 0) >= 70);
    expect(alone.length).toBeGreaterThanOrEqual(4);
    for (const subject of registry.subjects()) {
      expect(subject.personal?.name).toBeTruthy();
      expect(JSON.stringify(subject.attributes)).not.toContain(subject.personal!.phone!);
    }
  });

  it('resolves every device to grid/community/street in Asia/Shanghai', () => {
    for (const device of registry.devices()) {
      const ctx = registry.context(device.id)!;
      expect(ctx.timeZone).toBe('Asia/Shanghai');
      expect(ctx.street?.kind).toBe('street');
      expect(ctx.community?.kind).toBe('community');
      if (device.subjectId) expect(ctx.grid?.kind).toBe('grid');
    }
  });
});

describe('parseRegistry: errors name file, line and field', () => {
  it('reports a bad device type with its line and field', () => {
    const text = registryText(ONE_SUBJECT, `  - { id: wm-1, type: water_meter, subject: hh-1 }\n  - id: wm-2\n    type: water_metre\n    subject: hh-1\n`);
    const err = rejection(() => parseRegistry(text, 'city.yaml'));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ file: 'city.yaml', line: lineWith(text, 'water_metre'), field: 'devices[1].type', rule: 'schema' });
  });

  it('carries the real path of a file on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-registry-'));
    try {
      const file = join(dir, 'bad.yaml');
      const text = registryText(ONE_SUBJECT, `  - id: wm-1\n    type: water_meter\n    subject: hh-1\n    reportEvery: soon\n`);
      writeFileSync(file, text);
      const err = rejection(() => loadRegistryFile(file));
      expect(err.code).toBe('ERR_REGISTRY_INVALID');
      expect(err.details).toMatchObject({ file, line: lineWith(text, 'reportEvery: soon'), field: 'devices[0].reportEvery', rule: 'schema' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreadable file as coded', () => {
    const err = rejection(() => loadRegistryFile('/nonexistent/registry.yaml'));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ file: '/nonexistent/registry.yaml', rule: 'file' });
  });

  it('reports YAML syntax errors with their line', () => {
    const text = `places:\n  - id: st-1\n    kind: street\n    name: [unclosed\n`;
    const err = rejection(() => parseRegistry(text, 'x.yaml'));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ file: 'x.yaml', rule: 'yaml' });
    expect(err.details!.line).toBeGreaterThanOrEqual(4);
  });

  it('points an unknown property at its key and a missing one at its entry', () => {
    const unknown = registryText(ONE_SUBJECT, `  - id: wm-1\n    type: water_meter\n    subject: hh-1\n    colour: blue\n`);
    expect(rejection(() => parseRegistry(unknown)).details).toMatchObject({ line: lineWith(unknown, 'colour'), field: 'devices[0].colour', rule: 'schema' });
    const missing = registryText(ONE_SUBJECT, `  - id: wm-1\n    subject: hh-1\n`);
    expect(rejection(() => parseRegistry(missing)).details).toMatchObject({ line: lineWith(missing, 'id: wm-1'), field: 'devices[0]', rule: 'schema' });
  });

  it('rejects personal-looking keys outside personal, wherever they hide', () => {
    const cases: [string, string, string][] = [
      [`  - id: hh-1\n    kind: household\n    place: gr-1\n    attributes: { floor: 3, phone: "+86 000 0000 0001" }\n`, 'phone: "+86', 'subjects[0].attributes.phone'],
      [`  - id: hh-1\n    kind: household\n    place: gr-1\n    name: Someone\n`, 'name: Someone', 'subjects[0].name'],
      [`  - id: hh-1\n    kind: household\n    place: gr-1\n    attributes:\n      family:\n        - { relation: son, ID_Number: "000" }\n`, 'ID_Number', 'subjects[0].attributes.family[0].ID_Number'],
      [`  - id: hh-1\n    kind: household\n    place: gr-1\n    attributes: { homeAddress: "somewhere" }\n`, 'homeAddress', 'subjects[0].attributes.homeAddress'],
    ];
    for (const [subjects, needle, field] of cases) {
      const text = registryText(subjects, '');
      const err = rejection(() => parseRegistry(text));
      expect(err.code).toBe('ERR_REGISTRY_INVALID');
      expect(err.details).toMatchObject({ rule: 'personal-data', field, line: lineWith(text, needle) });
    }
  });

  it('accepts the same data under personal', () => {
    const registry = parseRegistry(registryText(`  - id: hh-1\n    kind: household\n    place: gr-1\n    personal: { name: A, phone: B, idNumber: C, address: D }\n`, ''));
    expect(registry.subject('hh-1')!.personal).toEqual({ name: 'A', phone: 'B', idNumber: 'C', address: 'D' });
  });

  it('rejects unknown references with the referring line', () => {
    const cases: [string, string, string][] = [
      [registryText(ONE_SUBJECT, `  - id: wm-1\n    type: water_meter\n    subject: hh-404\n`), 'hh-404', 'devices[0].subject'],
      [registryText(ONE_SUBJECT, `  - id: wm-1\n    type: water_meter\n    place: gr-404\n`), 'gr-404', 'devices[0].place'],
      [registryText(`  - id: hh-1\n    kind: household\n    place: gr-404\n`, ''), 'gr-404', 'subjects[0].place'],
      [registryText('', '', PLACES.replace('parent: cm-1', 'parent: cm-404')), 'cm-404', 'places[2].parent'],
    ];
    for (const [text, needle, field] of cases) {
      const err = rejection(() => parseRegistry(text, 'r.yaml'));
      expect(err.code).toBe('ERR_REGISTRY_INVALID');
      expect(err.details).toMatchObject({ rule: 'unknown-reference', field, line: lineWith(text, needle), file: 'r.yaml' });
    }
  });

  it('rejects duplicate ids at the second occurrence', () => {
    const text = registryText(ONE_SUBJECT, `  - { id: wm-1, type: water_meter, subject: hh-1 }\n  - { id: wm-1, type: gas_meter, subject: hh-1 }\n`);
    expect(rejection(() => parseRegistry(text)).details).toMatchObject({ rule: 'duplicate-id', field: 'devices[1].id', line: lineWith(text, 'gas_meter') });
  });

  it('enforces street ⊃ community ⊃ grid', () => {
    const gridUnderStreet = PLACES.replace('parent: cm-1', 'parent: st-1');
    expect(rejection(() => parseRegistry(registryText('', '', gridUnderStreet))).details).toMatchObject({ rule: 'hierarchy', field: 'places[2].parent' });
    const orphanGrid = PLACES.replace('    parent: cm-1\n', '');
    expect(rejection(() => parseRegistry(registryText('', '', orphanGrid))).details).toMatchObject({ rule: 'hierarchy', field: 'places[2].parent' });
    const subjectInCommunity = registryText(`  - id: hh-1\n    kind: household\n    place: cm-1\n`, '');
    expect(rejection(() => parseRegistry(subjectInCommunity)).details).toMatchObject({ rule: 'hierarchy', field: 'subjects[0].place' });
  });

  it('detects a parent cycle', () => {
    const cyclic = PLACES.replace('kind: street\n    name: Test Street\n', 'kind: street\n    name: Test Street\n    parent: gr-1\n');
    const err = rejection(() => parseRegistry(registryText('', '', cyclic)));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ rule: 'cycle', field: 'places[0].parent' });
  });

  it('rejects an unknown time zone', () => {
    const text = registryText('', '', PLACES.replace('name: Test Street\n', 'name: Test Street\n    timeZone: Mars/Olympus\n'));
    expect(rejection(() => parseRegistry(text)).details).toMatchObject({ rule: 'time-zone', field: 'places[0].timeZone', line: lineWith(text, 'Mars') });
  });

  it('inherits time zones down the hierarchy, Asia/Shanghai at the top by default', () => {
    const plain = parseRegistry(registryText(ONE_SUBJECT, `  - { id: wm-1, type: water_meter, subject: hh-1, reportEvery: 1h30m }\n`));
    expect(plain.context('wm-1')!.timeZone).toBe('Asia/Shanghai');
    expect(plain.device('wm-1')!.reportEveryMs).toBe(5_400_000);
    const berlin = parseRegistry(registryText(ONE_SUBJECT, `  - { id: wm-1, type: water_meter, subject: hh-1 }\n`,
      PLACES.replace('name: Test Community\n', 'name: Test Community\n    timeZone: Europe/Berlin\n')));
    expect(berlin.place('st-1')!.timeZone).toBe('Asia/Shanghai');
    expect(berlin.place('gr-1')!.timeZone).toBe('Europe/Berlin');
    expect(berlin.context('wm-1')!.timeZone).toBe('Europe/Berlin');
  });
});
