import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Environment } from '@marcbachmann/cel-js';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { LEVELS } from '../contracts/level.js';
import type { Scenario } from '../contracts/scenario.js';
import { isDuration, parseDuration } from '../core/duration.js';
import { ERR_SCENARIO_INVALID, RiskwatchError, withDetails } from '../core/errors.js';
import {
  article,
  describeValue,
  displayPath,
  errorCode,
  errorPath,
  explainCommonKeyword,
  formatIssue,
  isObject,
  locateProblems,
  parseYamlSource,
  readSchemaFile,
  schemaFileError,
  sortIssues,
  valueAt,
  type DataPath,
  type PathProblem,
  type SchemaFileIssue,
  type YamlPosition,
} from '../core/schema-file.js';
import { checkExpression, ExpressionError } from '../core/expression.js';
import { normaliseScenario } from './normalise.js';
import { modelDefinition } from '../models/model-kinds.js';
import type { ExpressionSite } from '../contracts/model.js';
import {
  DURATION_PATTERN,
  METRIC_NAME_PATTERN,
  MODEL_FIELDS,
  MODELS,
  SCENARIO_ID_PATTERN,
  TIME_OF_DAY_PATTERN,
  scenarioSchema,
} from './schema.js';

/** One problem in one scenario file. `line`/`column` are 1-based; `field` is a dotted path (`levels.red`, `appliesTo.deviceTypes[1]`). */
export type ScenarioIssue = SchemaFileIssue;

export interface ScenarioLoadResult {
  /** Valid scenarios, in file-name order. */
  scenarios: Scenario[];
  /** One ERR_SCENARIO_INVALID per bad file; `details.errors` lists every ScenarioIssue of that file. */
  errors: RiskwatchError[];
}

// Compiled once: validating a file is then a plain function call.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
const validateDocument = ajv.compile(scenarioSchema);

/**
 * Scopes for the static check of expressions: the variables each kind of expression is evaluated
 * with (see expression.ts). A name outside its scope would make the predicate fail on every
 * reading, i.e. a scenario that silently never fires — so it is a load error instead.
 */
const contextScope = new Environment({ unlistedVariablesAreDyn: false })
  .registerVariable('device', 'map')
  .registerVariable('subject', 'map')
  .registerVariable('place', 'map');
const readingScope = contextScope.clone().registerVariable('metrics', 'map').registerVariable('ts', 'dyn');
const readingWithValueScope = readingScope.clone().registerVariable('value', 'dyn');

/**
 * Parses one scenario file (YAML text) into a normalised Scenario. Every problem — YAML syntax,
 * schema, duration, CEL, cross-field — throws ERR_SCENARIO_INVALID naming the first one (by line)
 * in the message, with `details` { file, line, column, field, errors: ScenarioIssue[] } listing all.
 */
export function parseScenario(text: string, file: string): Scenario {
  const result = analyseScenario(text, file);
  if (!result.scenario) throw scenarioError(result.issues);
  return result.scenario;
}

/** Reads and parses one file; `source` and the error's `file` are the path relative to cwd. */
export function loadScenarioFile(path: string): Scenario {
  const file = displayPath(path);
  const read = readSchemaFile(path, file);
  if ('issue' in read) throw scenarioError([read.issue]);
  return parseScenario(read.text, file);
}

/**
 * Loads every `*.yaml` / `*.yml` file directly in `dir` (not recursively: `rules/demo/` is a set of
 * its own), in file-name order. Bad files and duplicate ids become `errors`; the good scenarios are
 * still returned so that `riskwatch rules validate` can report everything in one run. An empty
 * directory is not an error; a missing one is.
 */
export function loadScenarioDir(dir: string): ScenarioLoadResult {
  const scenarios: Scenario[] = [];
  const errors: RiskwatchError[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.ya?ml$/i.test(name) && isFile(join(dir, name)));
  } catch (err) {
    const file = displayPath(dir);
    const reason = `cannot read the rules directory (${errorCode(err)})`;
    return { scenarios, errors: [scenarioError([{ file, line: 1, column: 1, message: reason }])] };
  }
  // Code-point order, not locale order: the same files load in the same order on every machine.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const fileOfId = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const file = displayPath(path);
    const read = readSchemaFile(path, file);
    if ('issue' in read) {
      errors.push(scenarioError([read.issue]));
      continue;
    }
    const result = analyseScenario(read.text, file);
    if (!result.scenario) {
      errors.push(scenarioError(result.issues));
      continue;
    }
    const firstFile = fileOfId.get(result.scenario.id);
    if (firstFile !== undefined) {
      const at = result.locate(['id']);
      const issue: ScenarioIssue = { file, ...at, field: 'id', message: `id "${result.scenario.id}" is already used by ${firstFile}` };
      errors.push(withDetails(scenarioError([issue]), { duplicateOf: firstFile }));
      continue;
    }
    fileOfId.set(result.scenario.id, file);
    scenarios.push(result.scenario);
  }
  return { scenarios, errors };
}

/**
 * The engine refuses to start with an invalid scenario: returns the scenarios when there is no
 * error, otherwise throws the first error with every issue of every file in `details.errors`.
 */
export function assertScenarios(result: ScenarioLoadResult): Scenario[] {
  const [first, ...rest] = result.errors;
  if (!first) return result.scenarios;
  if (rest.length === 0) throw first;
  const issues = result.errors.flatMap((err) => (err.details?.errors as ScenarioIssue[] | undefined) ?? []);
  const files = result.errors.map((err) => err.details?.file);
  throw new RiskwatchError(first.code, `${first.message} (+${rest.length} more invalid scenario file(s))`, first.statusCode, {
    ...first.details,
    errors: issues,
    files,
  });
}

/** Compiler-style one-liner for CLIs: `rules/gas.yaml:12:8 levels.red: Unexpected token: EOF`. */
export const formatScenarioIssue: (issue: ScenarioIssue) => string = formatIssue;

// --- analysis ---------------------------------------------------------------------------------

interface Analysis {
  scenario?: Scenario;
  issues: ScenarioIssue[];
  locate(path: DataPath): YamlPosition;
}

function analyseScenario(text: string, file: string): Analysis {
  const source = parseYamlSource(text, file);
  const locate = (path: DataPath) => source.locate(path);

  // A document with syntax errors is only partly built: checking its fields would add noise.
  if (source.syntaxIssues.length > 0) return { issues: sortIssues(source.syntaxIssues), locate };

  let data: unknown;
  try {
    data = source.toData();
  } catch (err) {
    // An alias bomb ("billion laughs") expands past yaml's limit: refused like any other bad file.
    return { issues: [{ file, line: 1, column: 1, message: (err as Error).message }], locate };
  }
  const found: PathProblem[] = [];
  if (!validateDocument(data)) {
    for (const err of validateDocument.errors ?? []) {
      const issue = explainSchemaError(err, data);
      if (issue) found.push(issue);
    }
  }
  if (isObject(data)) {
    found.push(...checkExpressions(data), ...checkCrossFields(data));
  }

  const issues = locateProblems(source, found);
  if (issues.length > 0) return { issues, locate };
  return { scenario: normaliseScenario(data as Record<string, unknown>, file), issues, locate };
}

function explainSchemaError(err: ErrorObject, data: unknown): PathProblem | undefined {
  const path = errorPath(err, data);
  const value = err.data;
  const model = isObject(data) ? data.model : undefined;
  const inModelBranch = err.schemaPath.includes('/allOf/');
  switch (err.keyword) {
    case 'if':
      return undefined; // summary of the branch errors reported on their own
    case 'additionalProperties': {
      const extra = (err.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      const isLevelMap = known.length === LEVELS.length && LEVELS.every((level) => known.includes(level));
      const message = isLevelMap
        ? `unknown level "${extra}"; levels are ${LEVELS.join(', ')}`
        : `unknown field "${extra}"; known fields: ${known.join(', ')}`;
      return { path: [...path, extra], message, atKey: true };
    }
    case 'false schema': {
      const field = String(path[path.length - 1]);
      const owner = MODELS.find((m) => MODEL_FIELDS[m].includes(field));
      return { path, message: `does not apply to model ${String(model)}${owner ? ` (it belongs to the ${owner} model)` : ''}`, atKey: true };
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.join(', ');
      if (path.length === 1 && path[0] === 'model') return { path, message: `unknown model "${String(value)}"; models are ${allowed}` };
      return { path, message: `"${String(value)}" is not one of: ${allowed}` };
    }
    case 'pattern':
      return { path, message: patternMessage((err.params as { pattern: string }).pattern, value) };
    case 'type': {
      if (path.length === 0) return { path, message: 'the file must hold one YAML mapping of scenario fields' };
      const expected = (err.params as { type: string }).type;
      const wanted = err.parentSchema?.pattern === DURATION_PATTERN ? 'a duration string such as 90s or 8h' : article(expected);
      return { path, message: `must be ${wanted}, not ${describeValue(value)}` };
    }
    case 'minProperties':
      return { path, message: path[0] === 'levels' && path.length === 1 ? 'needs at least one level' : 'must not be empty' };
    case 'required':
      if (!inModelBranch) return explainCommonKeyword(err, path);
      return { path: [...path, (err.params as { missingProperty: string }).missingProperty], message: `is required for model ${String(model)}`, atKey: true };
    default:
      return explainCommonKeyword(err, path);
  }
}

function patternMessage(pattern: string, value: unknown): string {
  const text = `"${String(value)}"`;
  switch (pattern) {
    case DURATION_PATTERN:
      return `${text} is not a duration (write e.g. 500ms, 90s, 15m, 8h, 1h30m, 3d)`;
    case TIME_OF_DAY_PATTERN:
      return `${text} is not a time of day HH:MM (00:00 to 23:59)`;
    case SCENARIO_ID_PATTERN:
      return `${text} is not a valid id: lowercase letters, digits and dashes, starting with a letter or digit`;
    case METRIC_NAME_PATTERN:
      return `${text} is not a metric name: letters, digits and underscores, not starting with a digit`;
    default:
      return `${text} does not match ${pattern}`;
  }
}

type Scope = ExpressionSite['scope'] | 'context';

/** Every CEL expression of the file against the variables it will be evaluated with: `appliesTo.when`, then the model kind's. */
function checkExpressions(data: Record<string, unknown>): PathProblem[] {
  const definition = modelDefinition(data.model);
  const found: PathProblem[] = [];
  const check = (path: DataPath, scope: Scope) => {
    const expr = valueAt(data, path);
    if (typeof expr !== 'string' || expr.length === 0) return; // the schema reports those
    const problem = expressionProblem(expr, scope, definition?.valueHint);
    if (problem) found.push({ path, message: problem });
  };
  check(['appliesTo', 'when'], 'context');
  for (const site of definition?.expressions(data) ?? []) check(site.path, site.scope);
  return found;
}

function expressionProblem(expr: string, scope: Scope, valueHint: string | undefined): string | undefined {
  try {
    checkExpression(expr);
  } catch (err) {
    if (err instanceof ExpressionError) return err.reason;
    throw err;
  }
  const env = scope === 'context' ? contextScope : scope === 'reading' ? readingScope : readingWithValueScope;
  const result = env.check(expr);
  if (!result.valid) {
    const reason = result.error?.message.split('\n')[0] ?? 'invalid expression';
    const unknown = /^Unknown variable: (\w+)/.exec(reason)?.[1];
    if (unknown === 'value' && valueHint) return valueHint;
    if (unknown && scope === 'context') {
      return `unknown variable "${unknown}": appliesTo.when is evaluated once per device, before any reading; it sees subject, device and place`;
    }
    if (unknown) return `unknown variable "${unknown}": use metrics, ts, device, subject or place`;
    return reason;
  }
  if (result.type !== 'bool' && result.type !== 'dyn') return `must be a condition (bool), but yields ${result.type}`;
  return undefined;
}

/** What the schema cannot state: the model kind's own checks, then the common ones. */
function checkCrossFields(data: Record<string, unknown>): PathProblem[] {
  const found: PathProblem[] = [...(modelDefinition(data.model)?.check(data) ?? [])];
  const window = valueAt(data, ['alert', 'flapping', 'window']);
  if (typeof window === 'string' && isDuration(window) && parseDuration(window) <= 0) found.push({ path: ['alert', 'flapping', 'window'], message: 'must be longer than 0' });
  return found;
}

// --- small helpers ------------------------------------------------------------------------------

function scenarioError(issues: ScenarioIssue[]): RiskwatchError {
  return schemaFileError(ERR_SCENARIO_INVALID, issues);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
