import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { Engine } from 'json-rules-engine';
import { LEVELS } from '../contracts/level.js';
import type { DeadlineSpec, Department } from '../contracts/order.js';
import { DURATION_PATTERN, parseDuration } from '../core/duration.js';
import { ERR_POLICY_INVALID, type RiskwatchError } from '../core/errors.js';
import {
  article,
  describeValue,
  displayPath,
  errorPath,
  explainCommonKeyword,
  formatIssue,
  isObject,
  locateProblems,
  parseYamlSource,
  readSchemaFile,
  schemaFileError,
  suggestion,
  type DataPath,
  type PathProblem,
  type SchemaFileIssue,
} from '../core/schema-file.js';
import { DISPATCH_FACT_NAMES, DISPATCH_FACT_SPECS, type FactSpec } from './dispatch-facts.js';
import { DEFAULT_REMIND_EVERY, type DispatchPolicy } from './default-policy.js';
import { DEFAULT_WARN_AT, type DispatchPolicyDefinition, type PolicyCondition, type PolicyOutcome, type PolicyRule } from './policy-definition.js';
import {
  DEADLINE_PATTERN,
  FACT_PATH_PATTERN,
  OPERATOR_PATTERN,
  PARTY_PATTERN,
  POLICY_OPERATOR_DECORATORS,
  POLICY_OPERATORS,
  RULE_NAME_PATTERN,
  WORKING_DAYS,
  dispatchPolicySchema,
  type DispatchPolicyDocument,
  type RuleDocument,
} from './policy-schema.js';

/** One problem in a policy file. `line`/`column` are 1-based; `field` is a dotted path (`rules[2].when.all[0].fact`). */
export type PolicyIssue = SchemaFileIssue;

/** Where department ids are looked up: the registry (`Registry.department`). */
export interface DepartmentDirectory {
  department(id: string): Department | undefined;
  departments(): Department[];
}

export interface PolicyLoadOptions {
  /** Check every `then.department` against this registry's departments. */
  registry?: DepartmentDirectory;
  /**
   * The loaded scenarios: `category` and `scenarioId` values must then name one of them, so
   * `value: gass` is a load error rather than a rule that never matches.
   */
  scenarios?: readonly { id: string; category: string }[];
}

// Compiled once. allowUnionTypes: `rules:` with every rule commented out is YAML null, not an error.
// strictRequired off: the condition discriminators (`if: { required: [fact] }`, `oneOf` of
// `required: [all]` / `[any]` / `[not]`) name properties declared beside them, not inside them.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validateDocument = ajv.compile<DispatchPolicyDocument>(dispatchPolicySchema);

/**
 * Parses a dispatch policy (YAML text). Every problem — YAML syntax, schema, condition facts,
 * paths, operators and values, deadlines, duplicate rule names, rules json-rules-engine refuses,
 * departments unknown to `options.registry` — throws ERR_POLICY_INVALID naming the first one (by
 * line) in the message, with `details` { file, line, column, field, errors: PolicyIssue[] }.
 */
export function parseDispatchPolicy(text: string, source: string, options: PolicyLoadOptions = {}): DispatchPolicyDefinition {
  const yaml = parseYamlSource(text, source);

  // A document with syntax errors is only partly built: checking its fields would add noise.
  if (yaml.syntaxIssues.length > 0) throw policyError(yaml.syntaxIssues);

  let data: unknown;
  try {
    data = yaml.toData();
  } catch (err) {
    // An alias bomb ("billion laughs") expands past yaml's limit: refused like any other bad file.
    throw policyError([{ file: source, line: 1, column: 1, message: (err as Error).message }]);
  }
  const found: PathProblem[] = [];
  const misplacedTopLevel = topLevelFactConditions(data);
  found.push(...misplacedTopLevel.map((path) => ({
    path,
    message: 'the top level of when must be all, any or not: write when: { all: [ { fact: …, operator: …, value: … } ] }',
  })));
  if (!validateDocument(data)) {
    for (const err of validateDocument.errors ?? []) {
      const issue = explainSchemaError(err);
      if (issue && !misplacedTopLevel.some((path) => startsWith(issue.path, path))) found.push(issue);
    }
  }
  if (found.length === 0) {
    // The schema holds: the semantic checks may rely on the document's shape.
    found.push(...checkSemantics(data as DispatchPolicyDocument, options));
  }
  if (found.length > 0) throw policyError(locateProblems(yaml, found));
  return toDefinition(data as DispatchPolicyDocument, source, (path) => yaml.locate(path).line);
}

/** Reads and parses a policy file; the definition's `source` and errors' `file` are the path relative to cwd. */
export function loadDispatchPolicyFile(path: string, options: PolicyLoadOptions = {}): DispatchPolicyDefinition {
  const file = displayPath(path);
  const read = readSchemaFile(path, file);
  if ('issue' in read) throw policyError([read.issue]);
  return parseDispatchPolicy(read.text, file, options);
}

/**
 * Departments a policy names that `registry` does not have, e.g. after a registry edit removed
 * one. Reported at the rule's line; empty when everything resolves.
 */
export function validateAgainstRegistry(definition: DispatchPolicyDefinition, registry: DepartmentDirectory): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  definition.rules.forEach((rule, index) => {
    const message = departmentProblem(rule.then.department, registry);
    if (message) {
      issues.push({ file: definition.source, line: rule.line ?? 1, column: 1, field: `rules[${index}].then.department`, message });
    }
  });
  return issues;
}

/** One ERR_POLICY_INVALID for a list of issues (at least one): the first by line in the message, all in `details.errors`. */
export function policyError(issues: PolicyIssue[]): RiskwatchError {
  return schemaFileError(ERR_POLICY_INVALID, issues);
}

/** Compiler-style one-liner for CLIs: `rules/dispatch/policy.yaml:12:15 rules[1].when.all[0].fact: unknown fact "levle"`. */
export const formatPolicyIssue: (issue: PolicyIssue) => string = formatIssue;

/** A deadline as written (`15m`, `24h`, `3 working days`) → DeadlineSpec. Assumes DEADLINE_PATTERN holds. */
export function parseDeadline(text: string): DeadlineSpec {
  const workingDays = WORKING_DAYS.exec(text.trim());
  return workingDays ? { workingDays: Number(workingDays[1]) } : { ms: parseDuration(text) };
}

// --- schema errors --------------------------------------------------------------------------------

function explainSchemaError(err: ErrorObject): PathProblem | undefined {
  const path = errorPath(err);
  const value = err.data;
  // The oneOf branches of a boolean condition: reported once, by the oneOf error itself.
  if (err.schemaPath.includes('/oneOf/')) return undefined;
  switch (err.keyword) {
    case 'if':
      return undefined; // the branch that failed reports its own errors
    case 'oneOf':
      return { path, message: 'a condition needs exactly one of all, any or not — or fact, operator and value' };
    case 'additionalProperties': {
      const extra = (err.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      const isLevelMap = known.length === LEVELS.length && LEVELS.every((level) => known.includes(level));
      const message = isLevelMap
        ? `unknown level "${extra}"; levels are ${LEVELS.join(', ')}`
        : `unknown field "${extra}"; known fields: ${known.join(', ')}${suggestion(extra, known)}`;
      return { path: [...path, extra], message, atKey: true };
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: string[] }).allowedValues;
      if (path[path.length - 1] === 'fact') {
        return { path, message: `unknown fact "${String(value)}"${suggestion(String(value), allowed)}; facts are ${allowed.join(', ')}` };
      }
      return { path, message: `"${String(value)}" is not one of: ${allowed.join(', ')}${suggestion(String(value), allowed)}` };
    }
    case 'pattern':
      return { path, message: patternMessage((err.params as { pattern: string }).pattern, value) };
    case 'type': {
      if (path.length === 0) return { path, message: 'the file must hold one YAML mapping: version, defaults, warnAt, rules' };
      const expected = (err.params as { type: string | string[] }).type;
      const wanted = err.parentSchema?.pattern === DEADLINE_PATTERN ? 'a deadline such as 15m, 24h or 3 working days' : article(String(expected).replace(',null', ''));
      return { path, message: `must be ${wanted}, not ${describeValue(value)}` };
    }
    default:
      return explainCommonKeyword(err, path);
  }
}

function patternMessage(pattern: string, value: unknown): string {
  const text = `"${String(value)}"`;
  switch (pattern) {
    case DEADLINE_PATTERN:
      return `${text} is not a deadline (write a span such as 15m, 2h, 24h, 1h30m, 7d, or working days: 3 working days)`;
    case OPERATOR_PATTERN: {
      const base = String(value).split(':').pop() ?? '';
      return `unknown operator ${text}${suggestion(base, POLICY_OPERATORS)}; operators are ${POLICY_OPERATORS.join(', ')}, ` +
        `optionally decorated with ${POLICY_OPERATOR_DECORATORS.map((d) => `${d}:`).join(', ')}`;
    }
    case FACT_PATH_PATTERN:
      return `${text} is not a path: write $. and a field name, e.g. $.livingAlone or $.attributes.floor`;
    case DURATION_PATTERN:
      return `${text} is not a duration (write a span such as 30m, 1h, 2h30m)`;
    case RULE_NAME_PATTERN:
      return `${text} is not a valid rule name: lowercase letters, digits and dashes`;
    case PARTY_PATTERN:
      return `${text} is not a party name: lowercase letters, digits, - and _ (e.g. leadership)`;
    default:
      return `${text} does not match ${pattern}`;
  }
}

/** `when: { fact: …, operator: …, value: … }` — the one mistake the schema would explain badly. */
function topLevelFactConditions(data: unknown): DataPath[] {
  if (!isObject(data) || !Array.isArray(data.rules)) return [];
  const paths: DataPath[] = [];
  data.rules.forEach((rule, index) => {
    if (isObject(rule) && isObject(rule.when) && 'fact' in rule.when) paths.push(['rules', index, 'when']);
  });
  return paths;
}

function startsWith(path: DataPath, prefix: DataPath): boolean {
  return prefix.every((segment, i) => path[i] === segment);
}

// --- what the schema cannot say -----------------------------------------------------------------

function checkSemantics(doc: DispatchPolicyDocument, options: PolicyLoadOptions): PathProblem[] {
  const found: PathProblem[] = [];
  for (const level of LEVELS) {
    for (const key of ['respondWithin', 'resolveWithin'] as const) positiveDeadline(doc.defaults[level][key], ['defaults', level, key], found);
    const remindEvery = doc.defaults[level].remindEvery;
    if (remindEvery !== undefined && parseDuration(remindEvery) <= 0) found.push({ path: ['defaults', level, 'remindEvery'], message: 'must be longer than 0' });
  }
  const firstIndexOf = new Map<string, number>();
  const rules = doc.rules ?? [];
  const known: KnownValues = {};
  if (options.scenarios) {
    known.scenarioId = options.scenarios.map((s) => s.id);
    known.category = [...new Set(options.scenarios.map((s) => s.category))];
  }
  rules.forEach((rule, index) => {
    const at: DataPath = ['rules', index];
    const first = firstIndexOf.get(rule.name);
    if (first !== undefined) found.push({ path: [...at, 'name'], message: `rule name "${rule.name}" is already used by rules[${first}]` });
    else firstIndexOf.set(rule.name, index);

    checkCondition(rule.when, [...at, 'when'], found, known);
    for (const key of ['respondWithin', 'resolveWithin'] as const) {
      const text = rule.then[key];
      if (text !== undefined) positiveDeadline(text, [...at, 'then', key], found);
    }
    if (options.registry) {
      const message = departmentProblem(rule.then.department, options.registry);
      if (message) found.push({ path: [...at, 'then', 'department'], message });
    }
    const refusal = jsonRulesEngineRefusal(rule);
    if (refusal) found.push({ path: [...at, 'when'], message: `json-rules-engine refuses the rule: ${refusal}` });
  });
  return found;
}

function positiveDeadline(text: string, path: DataPath, found: PathProblem[]): void {
  const spec = parseDeadline(text);
  if ('ms' in spec && spec.ms <= 0) found.push({ path, message: 'must be longer than 0' });
}

function departmentProblem(id: string | undefined, registry: DepartmentDirectory): string | undefined {
  if (id === undefined || registry.department(id)) return undefined;
  const known = registry.departments().map((d) => d.id);
  if (known.length === 0) return `department "${id}" is not in the registry, which defines no departments`;
  return `department "${id}" is not in the registry${suggestion(id, known)}; departments: ${known.join(', ')}`;
}

/** The rule as json-rules-engine's own constructor sees it: whatever it throws on is a load error. */
function jsonRulesEngineRefusal(rule: RuleDocument): string | undefined {
  try {
    new Engine([], { allowUndefinedFacts: false }).addRule({
      name: rule.name,
      priority: rule.priority ?? 1,
      conditions: rule.when as never,
      event: { type: 'dispatch' },
    });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Facts, paths, operators and values of one condition tree. The schema already checked the shape
 * and the fact and operator names; here: paths into object facts, and operators and values that
 * fit the fact's type — a comparison that can never hold is a mistake, not a rule.
 */
function checkCondition(condition: Record<string, unknown>, path: DataPath, found: PathProblem[], known: KnownValues): void {
  for (const key of ['all', 'any'] as const) {
    const children = condition[key];
    if (Array.isArray(children)) children.forEach((child, i) => checkCondition(child as Record<string, unknown>, [...path, key, i], found, known));
  }
  if (isObject(condition.not)) checkCondition(condition.not, [...path, 'not'], found, known);
  if (typeof condition.fact !== 'string') return;

  const knownValues = condition.fact === 'category' || condition.fact === 'scenarioId' ? known[condition.fact] : undefined;
  const spec = knownValues
    ? { type: 'enum' as const, values: knownValues }
    : resolveFact(condition.fact, condition.path as string | undefined, path, found);
  const value = condition.value;
  if (isObject(value) && 'fact' in value) {
    // Another fact as the value (json-rules-engine "comparing facts"): it must exist too.
    const valuePath = [...path, 'value'];
    if (typeof value.fact !== 'string' || !(DISPATCH_FACT_NAMES as string[]).includes(value.fact)) {
      found.push({ path: [...valuePath, 'fact'], message: `unknown fact "${String(value.fact)}"${suggestion(String(value.fact), DISPATCH_FACT_NAMES)}; facts are ${DISPATCH_FACT_NAMES.join(', ')}` });
    } else {
      resolveFact(value.fact, typeof value.path === 'string' ? value.path : undefined, valuePath, found);
    }
    return;
  }
  if (!spec) return;
  const problem = operatorProblem(condition.operator as string, spec, value, factLabel(condition.fact, condition.path as string | undefined));
  if (problem) found.push({ path: [...path, problem.at], message: problem.message });
}

/** Values the loaded scenarios give `category` and `scenarioId`, when the caller passed them. */
interface KnownValues {
  category?: string[];
  scenarioId?: string[];
}

/** The spec of `fact` (and `path` into it), or undefined after reporting why there is none. */
function resolveFact(fact: string, factPath: string | undefined, at: DataPath, found: PathProblem[]): FactSpec | undefined {
  const spec: FactSpec = DISPATCH_FACT_SPECS[fact as keyof typeof DISPATCH_FACT_SPECS];
  if (spec.type !== 'object') {
    if (factPath !== undefined) found.push({ path: [...at, 'path'], message: `${fact} is not an object: leave path out` });
    return spec;
  }
  const fields = Object.keys(spec.fields);
  if (factPath === undefined) {
    found.push({ path: [...at, 'fact'], message: `${fact} is an object: add a path to one of its fields (${fields.map((f) => `$.${f}`).join(', ')})` });
    return undefined;
  }
  const [field, ...deeper] = factPath.slice(2).split('.');
  const fieldSpec = spec.fields[field!];
  if (!fieldSpec) {
    found.push({ path: [...at, 'path'], message: `${fact} has no field "${field}"${suggestion(field!, fields)}; fields are ${fields.join(', ')}` });
    return undefined;
  }
  if (deeper.length > 0 && fieldSpec.type !== 'any') {
    found.push({ path: [...at, 'path'], message: `${fact}.${field} has no fields: write $.${field}` });
    return undefined;
  }
  return fieldSpec;
}

function operatorProblem(operator: string, spec: FactSpec, value: unknown, label: string): { at: 'operator' | 'value'; message: string } | undefined {
  const parts = operator.split(':');
  const base = parts.pop()!;
  const decorators = parts;
  if (decorators.length > 0) {
    // Decorated operators are checked for the list they need; their element types are left to the author.
    const isList = spec.type === 'strings' || spec.type === 'any';
    if ((decorators.includes('someFact') || decorators.includes('everyFact')) && !isList) {
      return { at: 'operator', message: `${decorators.find((d) => d.endsWith('Fact'))}: needs a list fact (subject $.tags, rejectedBy); ${label} is not a list` };
    }
    if ((decorators.includes('someValue') || decorators.includes('everyValue')) && !Array.isArray(value)) {
      return { at: 'value', message: `${operator} needs a list as value` };
    }
    return undefined;
  }
  if (spec.type === 'any') return undefined;
  switch (base) {
    case 'equal':
    case 'notEqual':
      if (spec.type === 'strings') return { at: 'operator', message: `${label} is a list: ${base} never holds; use contains or doesNotContain` };
      return valueProblem(spec, value, label);
    case 'in':
    case 'notIn': {
      if (spec.type === 'strings') return { at: 'operator', message: `${label} is a list: use contains or doesNotContain` };
      if (!Array.isArray(value) || value.length === 0) return { at: 'value', message: `${base} needs a non-empty list as value, e.g. [gas, fire]` };
      for (const item of value) {
        const problem = valueProblem(spec, item, label);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'contains':
    case 'doesNotContain':
      if (spec.type !== 'strings') return { at: 'operator', message: `${base} needs a list fact (subject $.tags, rejectedBy); ${label} is not a list: use equal or in` };
      if (typeof value !== 'string') return { at: 'value', message: `${base} on ${label} needs a string value, not ${describeValue(value)}` };
      return undefined;
    default: // lessThan, lessThanInclusive, greaterThan, greaterThanInclusive
      if (spec.type !== 'number') return { at: 'operator', message: `${base} needs a number fact; ${label} is ${article(spec.type === 'enum' ? 'string' : spec.type === 'strings' ? 'list' : spec.type)}` };
      if (typeof value !== 'number') return { at: 'value', message: `${base} needs a number, not ${describeValue(value)}` };
      return rangeProblem(base, spec, value, label);
  }
}

function valueProblem(spec: FactSpec, value: unknown, label: string): { at: 'value'; message: string } | undefined {
  if (value === null && 'nullable' in spec && spec.nullable) return undefined;
  switch (spec.type) {
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return undefined;
      return { at: 'value', message: `${label} is one of ${spec.values.join(', ')}; ${JSON.stringify(value)} never matches${suggestion(String(value), spec.values)}` };
    case 'string':
      return typeof value === 'string' ? undefined : { at: 'value', message: `${label} is a string; ${describeValue(value)} never matches (quote it)` };
    case 'boolean':
      return typeof value === 'boolean' ? undefined : { at: 'value', message: `${label} is true or false; ${describeValue(value)} never matches` };
    case 'number': {
      if (typeof value !== 'number') return { at: 'value', message: `${label} is a number; ${describeValue(value)} never matches` };
      const { min, max } = spec;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        return { at: 'value', message: `${label} is ${min ?? '…'}–${max ?? '…'}; ${value} never matches` };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `localHour greaterThanInclusive 24`: a bound outside the fact's range that no value can pass. */
function rangeProblem(operator: string, spec: Extract<FactSpec, { type: 'number' }>, value: number, label: string): { at: 'value'; message: string } | undefined {
  const { min, max } = spec;
  const never =
    (operator === 'greaterThan' && max !== undefined && value >= max) ||
    (operator === 'greaterThanInclusive' && max !== undefined && value > max) ||
    (operator === 'lessThan' && min !== undefined && value <= min) ||
    (operator === 'lessThanInclusive' && min !== undefined && value < min);
  return never ? { at: 'value', message: `${label} is ${min ?? '…'}–${max ?? '…'}; ${operator} ${value} never holds` } : undefined;
}

function factLabel(fact: string, path: string | undefined): string {
  return path ? `${fact} ${path}` : fact;
}

// --- definition -----------------------------------------------------------------------------------

function toDefinition(doc: DispatchPolicyDocument, source: string, lineAt: (path: DataPath) => number): DispatchPolicyDefinition {
  const defaults = Object.fromEntries(LEVELS.map((level) => {
    const d = doc.defaults[level];
    return [level, {
      tier: d.tier,
      priority: d.priority,
      notify: [...(d.notify ?? [])],
      respondWithin: parseDeadline(d.respondWithin),
      resolveWithin: parseDeadline(d.resolveWithin),
      remindEvery: d.remindEvery === undefined ? DEFAULT_REMIND_EVERY : parseDuration(d.remindEvery),
    }];
  })) as DispatchPolicy;
  const rules = (doc.rules ?? []).map((rule, index): PolicyRule => {
    const policyRule: PolicyRule = {
      name: rule.name,
      priority: rule.priority ?? 1,
      when: rule.when as unknown as PolicyCondition,
      then: toOutcome(rule.then),
      line: lineAt(['rules', index]),
    };
    if (rule.description !== undefined) policyRule.description = rule.description;
    return policyRule;
  });
  return { source, defaults, warnAt: doc.warnAt ?? DEFAULT_WARN_AT, rules };
}

function toOutcome(then: RuleDocument['then']): PolicyOutcome {
  const outcome: PolicyOutcome = {};
  if (then.tier !== undefined) outcome.tier = then.tier;
  if (then.tierUp !== undefined) outcome.tierUp = then.tierUp;
  if (then.priority !== undefined) outcome.priority = then.priority;
  if (then.notify !== undefined) outcome.notify = [...then.notify];
  if (then.department !== undefined) outcome.department = then.department;
  if (then.respondWithin !== undefined) outcome.respondWithin = parseDeadline(then.respondWithin);
  if (then.resolveWithin !== undefined) outcome.resolveWithin = parseDeadline(then.resolveWithin);
  if (then.warnAt !== undefined) outcome.warnAt = then.warnAt;
  return outcome;
}
