import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ERR_POLICY_INVALID } from '../../../src/core/errors.js';
import {
  article,
  describeValue,
  displayPath,
  errorPath,
  explainCommonKeyword,
  fieldName,
  formatIssue,
  locateProblems,
  parseYamlSource,
  readSchemaFile,
  schemaFileError,
  sortIssues,
  suggestion,
  valueAt,
  type SchemaFileIssue,
} from '../../../src/core/schema-file.js';

const SCENARIO = `id: gas
appliesTo: { deviceTypes: [gas_detector] }
levels:
  orange: "value >= 10"
  red: >-
    value >= 25
rules:
  - name: first
  - name: second
    when:
      all:
        - { fact: level, operator: equal, value: red }
`;
// line: 1 id, 2 appliesTo, 3 levels, 4 orange, 5 red, 6 (red's text), 7 rules, 8 first, 9 second, 10 when, 11 all, 12 condition

describe('parseYamlSource: positions of data paths', () => {
  const source = parseYamlSource(SCENARIO, 'rules/gas.yaml');

  it('points at a scalar value, where a multi-line one starts', () => {
    expect(source.locate(['id'])).toEqual({ line: 1, column: 5 });
    expect(source.locate(['levels', 'orange'])).toEqual({ line: 4, column: 11 });
    expect(source.locate(['levels', 'red'])).toEqual({ line: 5, column: 8 });
    expect(source.locate(['rules', 1, 'when', 'all', 0, 'fact'])).toEqual({ line: 12, column: 19 });
  });

  it('points at the key when asked: where an unknown field is written', () => {
    expect(source.locate(['levels', 'orange'], { atKey: true })).toEqual({ line: 4, column: 3 });
    expect(source.locate(['rules', 1, 'name'], { atKey: true })).toEqual({ line: 9, column: 5 });
  });

  it('points a block collection at its key, a flow collection at its value', () => {
    expect(source.locate(['levels'])).toEqual({ line: 3, column: 1 });
    expect(source.locate(['rules', 1, 'when'])).toEqual({ line: 10, column: 5 });
    expect(source.locate(['appliesTo'])).toEqual({ line: 2, column: 12 });
    expect(source.locate(['appliesTo', 'deviceTypes', 0])).toEqual({ line: 2, column: 28 });
  });

  it('resolves a missing field to its nearest existing parent', () => {
    expect(source.locate(['levels', 'blue'], { atKey: true })).toEqual({ line: 3, column: 1 });
    expect(source.locate(['rules', 0, 'when'], { atKey: true })).toEqual({ line: 8, column: 5 });
    expect(source.locate(['rules', 7, 'name'])).toEqual({ line: 7, column: 1 });
    expect(source.locate(['id', 'deeper'])).toEqual({ line: 1, column: 5 });
  });

  it("anchor 'value': a block collection at its first entry, a missing field at its parent's value", () => {
    expect(source.locate(['levels'], { anchor: 'value' })).toEqual({ line: 4, column: 3 });
    expect(source.locate(['levels', 'blue'], { atKey: true, anchor: 'value' })).toEqual({ line: 4, column: 3 });
    expect(source.locate(['levels', 'red'], { atKey: true, anchor: 'value' })).toEqual({ line: 5, column: 3 });
    expect(source.locate(['rules', 7], { anchor: 'value' })).toEqual({ line: 8, column: 3 });
  });

  it('matches a key written as a number by its value, or by its text with keysAsText', () => {
    const numeric = parseYamlSource('levels:\n  red: x\n  1: y\n', 'f.yaml');
    expect(numeric.locate(['levels', '1'], { atKey: true })).toEqual({ line: 1, column: 1 });
    expect(numeric.locate(['levels', 1], { atKey: true })).toEqual({ line: 3, column: 3 });
    expect(numeric.locate(['levels', '1'], { atKey: true, keysAsText: true })).toEqual({ line: 3, column: 3 });
  });

  it('puts everything in an empty document at 1:1', () => {
    const empty = parseYamlSource('# nothing yet\n', 'f.yaml');
    expect(empty.syntaxIssues).toEqual([]);
    expect(empty.toData()).toBeNull();
    expect(empty.locate([])).toEqual({ line: 1, column: 1 });
    expect(empty.locate(['id'], { atKey: true })).toEqual({ line: 1, column: 1 });
  });

  it('converts to plain data, refusing an alias explosion', () => {
    expect(source.toData()).toMatchObject({ id: 'gas', levels: { orange: 'value >= 10', red: 'value >= 25' } });
    const aliases = parseYamlSource('a: &x [1, 2]\nb: [*x, *x, *x, *x]\n', 'f.yaml');
    expect(aliases.toData()).toEqual({ a: [1, 2], b: [[1, 2], [1, 2], [1, 2], [1, 2]] });
    expect(() => aliases.toData(2)).toThrow(/alias/i);
  });
});

describe('parseYamlSource: syntax errors', () => {
  it('become issues at their position, without yaml\'s "at line x, column y" tail and without a field', () => {
    const source = parseYamlSource('id: gas\nname: Gas\ncategory: gas: leak\n', 'rules/bad.yaml');
    expect(source.syntaxIssues.length).toBeGreaterThan(0);
    const [first] = source.syntaxIssues;
    expect(first).toMatchObject({ file: 'rules/bad.yaml', line: 3, column: 11 });
    expect(first!.field).toBeUndefined();
    expect(first!.message).not.toMatch(/at line|\n/);
    expect(source.doc.errors[0]!.message).toMatch(/at line 3, column 11/);
  });

  it('report an unclosed flow sequence and a duplicate key where yaml finds them', () => {
    const unclosed = parseYamlSource('places:\n  - id: st-1\n    name: [unclosed\n', 'f.yaml');
    expect(unclosed.syntaxIssues[0]!.line).toBeGreaterThanOrEqual(3);
    const duplicate = parseYamlSource('id: a\nname: A\nid: b\n', 'f.yaml');
    expect(duplicate.syntaxIssues).toEqual([{ file: 'f.yaml', line: 3, column: 1, message: 'Map keys must be unique' }]);
  });
});

describe('errorPath and fieldName: ajv errors as the author names the field', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile({
    type: 'object',
    properties: {
      rules: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            when: {
              type: 'object',
              properties: { all: { type: 'array', items: { type: 'object', properties: { fact: { enum: ['level', 'category'] } } } } },
            },
          },
        },
      },
      counts: { type: 'object', additionalProperties: { type: 'integer' } },
      'a/b~c': { type: 'string' },
    },
  });

  function paths(data: unknown): { withData: string[]; pointerOnly: string[] } {
    expect(validate(data)).toBe(false);
    const errors = validate.errors ?? [];
    return { withData: errors.map((err) => fieldName(errorPath(err, data))), pointerOnly: errors.map((err) => fieldName(errorPath(err))) };
  }

  it('turns list indexes into [i] and keys into .key', () => {
    const data = { rules: [{}, {}, { when: { all: [{ fact: 'levle' }] } }] };
    expect(paths(data)).toEqual({ withData: ['rules[2].when.all[0].fact'], pointerOnly: ['rules[2].when.all[0].fact'] });
    expect(errorPath(validate.errors![0]!, data)).toEqual(['rules', 2, 'when', 'all', 0, 'fact']);
  });

  it('tells a key made of digits from an index only when given the data', () => {
    expect(paths({ counts: { 7: 'many' } })).toEqual({ withData: ['counts.7'], pointerOnly: ['counts[7]'] });
  });

  it('unescapes ~1 and ~0, and names the root ""', () => {
    expect(paths({ 'a/b~c': 1 }).withData).toEqual(['a/b~c']);
    expect(validate([])).toBe(false);
    expect(errorPath(validate.errors![0]!, [])).toEqual([]);
    expect(fieldName([])).toBe('');
  });

  it('valueAt follows the same paths through plain data', () => {
    const data = { rules: [{ when: { all: [{ fact: 'level' }] } }] };
    expect(valueAt(data, ['rules', 0, 'when', 'all', 0, 'fact'])).toBe('level');
    expect(valueAt(data, ['rules', 3, 'when'])).toBeUndefined();
    expect(valueAt(data, ['rules', 'when'])).toBeUndefined();
  });
});

describe('locateProblems: issues, once each, in reading order', () => {
  const text = 'id: gas\nlevels:\n  red: 5 min\n  critical: x\n';
  const source = parseYamlSource(text, 'rules/gas.yaml');

  it('locates, names, de-duplicates and sorts', () => {
    const issues = locateProblems(source, [
      { path: ['levels', 'red'], message: 'not a duration' },
      { path: ['levels', 'critical'], message: 'unknown level', atKey: true },
      { path: ['levels', 'red'], message: 'not a duration' }, // the same field failing in a second schema branch
      { path: ['levels', 'red'], message: 'must be longer than 0' },
      { path: [], message: 'the file must hold one mapping' },
    ]);
    expect(issues).toEqual([
      { file: 'rules/gas.yaml', line: 1, column: 1, message: 'the file must hold one mapping' },
      { file: 'rules/gas.yaml', line: 3, column: 8, field: 'levels.red', message: 'not a duration' },
      { file: 'rules/gas.yaml', line: 3, column: 8, field: 'levels.red', message: 'must be longer than 0' },
      { file: 'rules/gas.yaml', line: 4, column: 3, field: 'levels.critical', message: 'unknown level' },
    ]);
    expect('field' in issues[0]!).toBe(false);
  });

  it('sortIssues orders by line then column and keeps ties in their order, without touching its input', () => {
    const at = (line: number, column: number, message: string): SchemaFileIssue => ({ file: 'f', line, column, message });
    const input = [at(3, 1, 'c'), at(1, 9, 'b'), at(1, 2, 'a'), at(3, 1, 'd')];
    expect(sortIssues(input).map((i) => i.message)).toEqual(['a', 'b', 'c', 'd']);
    expect(input.map((i) => i.message)).toEqual(['c', 'b', 'a', 'd']);
  });
});

describe('schemaFileError and formatIssue', () => {
  it('names the first issue by position and counts the rest', () => {
    const issues: SchemaFileIssue[] = [
      { file: 'p.yaml', line: 9, column: 3, field: 'rules[1].name', message: 'is taken' },
      { file: 'p.yaml', line: 4, column: 15, field: 'rules[0].when.all[0].fact', message: 'unknown fact "levle"' },
    ];
    const err = schemaFileError(ERR_POLICY_INVALID, issues);
    expect(err.code).toBe('ERR_POLICY_INVALID');
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe('dispatch policy p.yaml: rules[0].when.all[0].fact (line 4): unknown fact "levle" (+1 more)');
    expect(err.details).toEqual({ file: 'p.yaml', line: 4, column: 15, field: 'rules[0].when.all[0].fact', errors: [issues[1], issues[0]] });
  });

  it('leaves the field out for a file-level issue', () => {
    const err = schemaFileError(ERR_POLICY_INVALID, [{ file: 'p.yaml', line: 1, column: 1, message: 'cannot read the file (ENOENT)' }]);
    expect(err.message).toBe('dispatch policy p.yaml: line 1: cannot read the file (ENOENT)');
    expect(err.details).not.toHaveProperty('field');
  });

  it('formats compiler-style one-liners', () => {
    expect(formatIssue({ file: 'rules/gas.yaml', line: 12, column: 8, field: 'levels.red', message: 'Unexpected token: EOF' }))
      .toBe('rules/gas.yaml:12:8 levels.red: Unexpected token: EOF');
    expect(formatIssue({ file: 'rules/gas.yaml', line: 3, column: 1, message: 'Map keys must be unique' })).toBe('rules/gas.yaml:3:1 Map keys must be unique');
  });
});

describe('readSchemaFile', () => {
  it('reads text, or reports why not at 1:1 with the path relative to cwd', () => {
    const read = readSchemaFile('rules/gas-concentration.yaml');
    expect('text' in read && read.text).toMatch(/^id: gas-concentration$/m);
    const missing = readSchemaFile(join(process.cwd(), 'rules', 'no-such-file.yaml'));
    expect('issue' in missing && missing.issue).toEqual({ file: join('rules', 'no-such-file.yaml'), line: 1, column: 1, message: 'cannot read the file (ENOENT)' });
    expect('error' in missing && missing.error.message).toMatch(/^ENOENT: no such file or directory/);
    const named = readSchemaFile('/nonexistent/x.yaml', 'x.yaml');
    expect('issue' in named && named.issue.file).toBe('x.yaml');
  });
});

describe('message text helpers', () => {
  it('suggestion: a near miss within two edits, ignoring case; nothing for a far one or the word itself', () => {
    expect(suggestion('levle', ['level', 'category'])).toBe(' (did you mean "level"?)');
    expect(suggestion('Level', ['level'])).toBe(' (did you mean "level"?)');
    expect(suggestion('priorty', ['tier', 'priority', 'notify'])).toBe(' (did you mean "priority"?)');
    expect(suggestion('banana', ['level', 'category'])).toBe('');
    expect(suggestion('level', ['level'])).toBe('');
    expect(suggestion('x', [])).toBe('');
  });

  it('describeValue, article and displayPath', () => {
    expect([null, undefined, [1], { a: 1 }, 'x', 3, true].map(describeValue)).toEqual([
      'empty', 'nothing', 'a list', 'a mapping', 'the string "x"', 'the number 3', 'the boolean true',
    ]);
    expect([article('integer'), article('string'), article('object')]).toEqual(['an integer', 'a string', 'an object']);
    expect(displayPath(join(process.cwd(), 'rules', 'gas.yaml'))).toBe(join('rules', 'gas.yaml'));
    expect(displayPath('.')).toBe('.');
  });
});

describe('explainCommonKeyword: the same mistake reads the same in every schema file', () => {
  const schema = {
    type: 'object',
    required: ['id'],
    properties: {
      id: { type: 'string', minLength: 1 },
      version: { const: 1 },
      age: { type: 'integer', minimum: 0, maximum: 150 },
      tags: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
      labels: { type: 'object', minProperties: 1 },
    },
  } as const;
  const validate = new Ajv2020({ allErrors: true, verbose: true, strict: true }).compile(schema);
  const explain = (data: unknown) => {
    expect(validate(data)).toBe(false);
    return (validate.errors ?? []).map((err) => {
      const problem = explainCommonKeyword(err, errorPath(err, data));
      return `${fieldName(problem.path)}${problem.atKey ? ' (key)' : ''}: ${problem.message}`;
    });
  };

  it('names a missing field at its own key, and words bounds, fixed values, empties and repeats', () => {
    expect(explain({ version: 2, age: 151, tags: ['a', 'b', 'a'], labels: {} })).toEqual([
      'id (key): is required',
      'version: must be 1',
      'age: must be <= 150, not 151',
      'tags[2]: "a" is listed twice (also at index 0)',
      'labels: must not be empty',
    ]);
    expect(explain({ id: '', tags: [] })).toEqual(['id: must not be empty', 'tags: must not be empty']);
  });
});
