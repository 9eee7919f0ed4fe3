import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { withDetails, type ErrorFactory, type RiskwatchError } from './errors.js';
import { locateNode, type LocateOptions, type YamlPath, type YamlPosition } from './yaml-position.js';

/**
 * The machinery shared by the loaders of hand-written YAML files that a JSON Schema validates
 * (scenarios, the dispatch policy, the registry): read, parse, convert, and turn what is wrong into
 * issues that name the file, the 1-based line and column, and the field as its author sees it
 * (`rules[2].when.all[0].fact`). Each loader keeps its own checks and its own wording.
 */

export type { YamlPath as DataPath, YamlPosition } from './yaml-position.js';

/** One problem in one file. `line`/`column` are 1-based; `field` is a dotted path (`levels.red`, `devices[3].type`). */
export interface SchemaFileIssue {
  file: string;
  line: number;
  column: number;
  /** Absent for YAML syntax errors and file-level problems. */
  field?: string;
  message: string;
}

/** A problem found at a data path, before it is given a position. */
export interface PathProblem {
  path: YamlPath;
  message: string;
  /** Point at the key (unknown or misplaced fields) rather than at the value. */
  atKey?: boolean;
}

/** A YAML text parsed with positions, for validation. */
export interface YamlSource {
  /** The file name issues carry. */
  file: string;
  doc: Document.Parsed;
  /**
   * yaml's syntax errors as issues at their position, in yaml's order; the message is yaml's first
   * line without its "at line x, column y" tail (the position is reported apart). Empty when the
   * text parsed.
   */
  syntaxIssues: SchemaFileIssue[];
  /** The document as plain data; throws, as yaml does, beyond `maxAliasCount` alias expansions. */
  toData(maxAliasCount?: number): unknown;
  /** The position of a data path (see locateNode). */
  locate(path: YamlPath, options?: LocateOptions): YamlPosition;
}

export type FileRead = { text: string } | { issue: SchemaFileIssue; error: Error };

/**
 * The text of `path` (UTF-8), or why it cannot be read: an issue at 1:1 of `file` ("cannot read the
 * file (ENOENT)") and the error itself, for loaders that report it their own way.
 */
export function readSchemaFile(path: string, file = displayPath(path)): FileRead {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { issue: { file, line: 1, column: 1, message: `cannot read the file (${errorCode(err)})` }, error: err as Error };
  }
}

/** Parses YAML text with a LineCounter, so that every data path and syntax error has a line and column. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxIssues = doc.errors.map((err): SchemaFileIssue => {
    const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    return { file, line: pos.line, column: pos.col, message: yamlReason(err.message) };
  });
  return {
    file,
    doc,
    syntaxIssues,
    // 100 expansions is far beyond what a hand-written file needs and far below a "billion laughs".
    toData: (maxAliasCount = 100) => doc.toJS({ maxAliasCount }) as unknown,
    locate: (path, options) => locateNode(doc, lineCounter, path, options),
  };
}

/**
 * Positions and field names for `problems`, sorted by position. The same message for the same field
 * is kept once: a field that fails in two schema branches is one mistake for its author.
 */
export function locateProblems(source: YamlSource, problems: readonly PathProblem[]): SchemaFileIssue[] {
  const seen = new Set<string>();
  const issues: SchemaFileIssue[] = [];
  for (const { path, message, atKey } of problems) {
    const field = fieldName(path);
    const id = `${field}\n${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push({ file: source.file, ...source.locate(path, { atKey }), ...(field && { field }), message });
  }
  return sortIssues(issues);
}

/** Issues in reading order: by line, then column; issues at the same place keep their order. */
export function sortIssues<T extends SchemaFileIssue>(issues: readonly T[]): T[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * One coded error for a file's issues (at least one): the first by position in the message
 * (`levels.red (line 9): …`, `(+2 more)`), and `details` { file, line, column, field, errors }.
 */
export function schemaFileError(factory: ErrorFactory, issues: readonly SchemaFileIssue[]): RiskwatchError {
  const sorted = sortIssues(issues);
  const first = sorted[0]!;
  const where = first.field ? `${first.field} (line ${first.line})` : `line ${first.line}`;
  const more = sorted.length > 1 ? ` (+${sorted.length - 1} more)` : '';
  return withDetails(factory(first.file, `${where}: ${first.message}${more}`), {
    file: first.file,
    line: first.line,
    column: first.column,
    ...(first.field && { field: first.field }),
    errors: sorted,
  });
}

/** Compiler-style one-liner for CLIs: `rules/gas.yaml:12:8 levels.red: Unexpected token: EOF`. */
export function formatIssue(issue: SchemaFileIssue): string {
  return `${issue.file}:${issue.line}:${issue.column} ${issue.field ? `${issue.field}: ` : ''}${issue.message}`;
}

// --- paths ------------------------------------------------------------------------------------------

/**
 * The data path of an ajv error (its instancePath, RFC 6901: `/rules/2/when`). A pointer cannot tell
 * a list index from a mapping key made of digits: given the validated data, a segment is an index
 * exactly where the data holds a list; without it, every all-digit segment is taken for one.
 */
export function errorPath(err: Pick<ErrorObject, 'instancePath'>, ...validated: [] | [data: unknown]): YamlPath {
  const pointer = err.instancePath;
  if (pointer === '') return [];
  const path: YamlPath = [];
  let value = validated[0];
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (validated.length === 0) {
      path.push(/^(?:0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment);
    } else if (Array.isArray(value)) {
      path.push(Number(segment));
      value = value[Number(segment)];
    } else {
      path.push(segment);
      value = isObject(value) ? value[segment] : undefined;
    }
  }
  return path;
}

/**
 * What an ajv error says in every schema file alike, for the keywords whose meaning does not depend
 * on the file: a missing field (at its key), a fixed value, a bound, an empty list or mapping, a
 * repeated item. Each loader words the rest (types, patterns, unknown fields, enums) for its own
 * readers and hands the others here, so the same mistake reads the same in every file.
 */
export function explainCommonKeyword(err: ErrorObject, path: YamlPath): PathProblem {
  const value = err.data;
  switch (err.keyword) {
    case 'required': {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      return { path: [...path, missing], message: 'is required', atKey: true };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = err.params as { comparison: string; limit: number };
      return { path, message: `must be ${comparison} ${limit}, not ${String(value)}` };
    }
    case 'minItems':
    case 'minProperties':
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'uniqueItems': {
      const { i, j } = err.params as { i: number; j: number };
      return { path: [...path, j], message: `"${String((value as unknown[])[j])}" is listed twice (also at index ${i})` };
    }
    default:
      return { path, message: err.message ?? `fails ${err.keyword}` };
  }
}

/** `['rules', 2, 'when', 'all', 0, 'fact']` → `rules[2].when.all[0].fact`, the way a reader of the file names it. */
export function fieldName(path: YamlPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  return out;
}

/** The value at `path` in plain data, or undefined when the path does not exist. */
export function valueAt(data: unknown, path: YamlPath): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isObject(value)) value = value[segment];
    else return undefined;
  }
  return value;
}

// --- text ---------------------------------------------------------------------------------------

/** yaml's messages end in "at line 3, column 5:" plus a source excerpt; the position is reported apart. */
function yamlReason(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** The path as issues show it: relative to the working directory, where the operator runs the CLI. */
export function displayPath(path: string): string {
  return relative(process.cwd(), resolve(path)) || path;
}

/** The code of a failed file-system call (`ENOENT`), or the error itself when it has none. */
export function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** `must be …, not the string "x"`: a value as a message names it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'empty';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/** `integer` → `an integer`, `string` → `a string`. */
export function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** ` (did you mean "level"?)` for a near miss (edit distance ≤ 2, ignoring case), else nothing. */
export function suggestion(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && best !== word ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A YAML mapping once converted: a plain object, not a list and not null. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
