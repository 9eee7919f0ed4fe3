import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RiskwatchError } from '../../../src/core/errors.js';
import { assertScenarios, loadScenarioDir, loadScenarioFile, type ScenarioIssue } from '../../../src/scenarios/loader.js';

const offline = (id: string, extra = '') =>
  `id: ${id}\nname: ${id}\ncategory: device\nmodel: offline\nappliesTo:\n  deviceTypes: [water_meter]\nlevels:\n  blue: 2h\n${extra}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-scenarios-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
const rel = (name: string) => relative(process.cwd(), join(dir, name));

describe('loadScenarioDir', () => {
  it('loads *.yaml and *.yml directly in the directory, in file-name order, with source relative to cwd', () => {
    write('b.yml', offline('bravo'));
    write('a.yaml', offline('alpha'));
    write('C.yaml', offline('charlie'));
    write('notes.md', '# not a scenario');
    write('draft.yaml.bak', offline('draft'));
    mkdirSync(join(dir, 'demo'));
    writeFileSync(join(dir, 'demo', 'a.yaml'), offline('alpha')); // a separate set: not loaded, not a duplicate
    mkdirSync(join(dir, 'dir.yaml')); // a directory with a scenario-like name is skipped

    const { scenarios, errors } = loadScenarioDir(dir);
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => [s.id, s.source])).toEqual([
      ['charlie', rel('C.yaml')],
      ['alpha', rel('a.yaml')],
      ['bravo', rel('b.yml')],
    ]);
  });

  it('reports duplicate ids naming both files, at the id line of the later file', () => {
    write('a.yaml', offline('meter-offline'));
    write('b.yaml', `# copy\n${offline('meter-offline')}`);
    const { scenarios, errors } = loadScenarioDir(dir);
    expect(scenarios.map((s) => s.source)).toEqual([rel('a.yaml')]);
    expect(errors).toHaveLength(1);
    const err = errors[0]!;
    expect(err.code).toBe('ERR_SCENARIO_INVALID');
    expect(err.details).toMatchObject({ file: rel('b.yaml'), duplicateOf: rel('a.yaml'), field: 'id', line: 2 });
  });

  it('returns the good scenarios and one error per bad file', () => {
    write('a.yaml', offline('alpha'));
    write('b.yaml', offline('bravo', '  yellow: 1h\n')); // yellow before blue
    write('c.yaml', 'id: [oops\n');
    const { scenarios, errors } = loadScenarioDir(dir);
    expect(scenarios.map((s) => s.id)).toEqual(['alpha']);
    expect(errors.map((e) => [e.code, e.details?.file, e.details?.field, e.details?.line])).toEqual([
      ['ERR_SCENARIO_INVALID', rel('b.yaml'), 'levels.yellow', 9],
      ['ERR_SCENARIO_INVALID', rel('c.yaml'), undefined, 2],
    ]);
  });

  it('an empty directory is no error; a missing one is', () => {
    expect(loadScenarioDir(dir)).toEqual({ scenarios: [], errors: [] });
    const missing = loadScenarioDir(join(dir, 'nope'));
    expect(missing.scenarios).toEqual([]);
    expect(missing.errors.map((e) => [e.code, e.details?.file])).toEqual([['ERR_SCENARIO_INVALID', rel('nope')]]);
  });
});

describe('assertScenarios', () => {
  it('returns the scenarios when every file is valid', () => {
    write('a.yaml', offline('alpha'));
    expect(assertScenarios(loadScenarioDir(dir)).map((s) => s.id)).toEqual(['alpha']);
  });

  it('throws the first error with the issues of every file in details', () => {
    write('a.yaml', offline('alpha', 'dispatch: maybe\n'));
    write('b.yaml', offline('bravo', 'colour: red\nlevels2: {}\n'));
    let caught: unknown;
    try {
      assertScenarios(loadScenarioDir(dir));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RiskwatchError);
    const err = caught as RiskwatchError;
    expect(err.code).toBe('ERR_SCENARIO_INVALID');
    expect(err.details).toMatchObject({ file: rel('a.yaml'), field: 'dispatch', line: 9, files: [rel('a.yaml'), rel('b.yaml')] });
    const issues = err.details?.errors as ScenarioIssue[];
    expect(issues.map((i) => [i.file, i.field, i.line])).toEqual([
      [rel('a.yaml'), 'dispatch', 9],
      [rel('b.yaml'), 'colour', 9],
      [rel('b.yaml'), 'levels2', 10],
    ]);
  });

  it('throws a single bad file as it is', () => {
    write('a.yaml', offline('alpha', 'colour: red\n'));
    const result = loadScenarioDir(dir);
    expect(() => assertScenarios(result)).toThrow(result.errors[0]);
  });
});

describe('loadScenarioFile', () => {
  it('loads one file with source relative to cwd, and reports an unreadable one as ERR_SCENARIO_INVALID', () => {
    write('a.yaml', offline('alpha'));
    expect(loadScenarioFile(join(dir, 'a.yaml'))).toMatchObject({ id: 'alpha', source: rel('a.yaml'), levels: { blue: 7_200_000 } });
    let caught: unknown;
    try {
      loadScenarioFile(join(dir, 'missing.yaml'));
    } catch (err) {
      caught = err;
    }
    expect((caught as RiskwatchError).code).toBe('ERR_SCENARIO_INVALID');
    expect((caught as RiskwatchError).details).toMatchObject({ file: rel('missing.yaml'), line: 1 });
  });
});
