import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { DURATION_PATTERN, parseDuration } from '../core/duration.js';
import { ERR_CATALOGUE_INVALID, type RiskwatchError } from '../core/errors.js';
import { TIME_OF_DAY_PATTERN } from '../core/local-time.js';
import {
  article,
  describeValue,
  displayPath,
  errorPath,
  explainCommonKeyword,
  locateProblems,
  parseYamlSource,
  readSchemaFile,
  schemaFileError,
  suggestion,
  type DataPath,
  type PathProblem,
  type SchemaFileIssue,
} from '../core/schema-file.js';
import {
  CATALOGUE_NAME_PATTERN,
  deviceCatalogueSchema,
  type DeviceCatalogueDocument,
  type DeviceTypeDocument,
  type GeneratorDocument,
  type MetricDocument,
} from './catalogue-schema.js';
import type {
  ActivitySpec,
  DeviceCatalogue,
  DeviceTypeSpec,
  LocalizedText,
  MetricSpec,
  ReadingGenerators,
  SimulationSpec,
  ValueGenerator,
} from './catalogue-spec.js';

// Compiled once. allowUnionTypes: a generator is a constant or an object.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
const validateDocument = ajv.compile<DeviceCatalogueDocument>(deviceCatalogueSchema);

/** Rounding when a generator does not say: cents of a unit read well and keep recordings short. */
const DEFAULT_DECIMALS = 2;

/**
 * Parses a device catalogue (YAML text). Every problem — YAML syntax, schema, undeclared metrics,
 * generators that do not fit their metric, a simulated activity that contradicts the declared one —
 * throws ERR_CATALOGUE_INVALID naming the first one (by line) in the message, with `details`
 * { file, line, column, field, errors }.
 */
export function parseDeviceCatalogue(text: string, file: string): DeviceCatalogue {
  const yaml = parseYamlSource(text, file);
  // A document with syntax errors is only partly built: checking its fields would add noise.
  if (yaml.syntaxIssues.length > 0) throw catalogueError(yaml.syntaxIssues);
  const data = yaml.toData();
  if (!validateDocument(data)) throw catalogueError(locateProblems(yaml, explainSchemaErrors(validateDocument.errors ?? [], data)));
  // The schema holds: the checks below may rely on the document's shape.
  const problems: PathProblem[] = [];
  const catalogue = build(data, file, problems);
  if (problems.length > 0) throw catalogueError(locateProblems(yaml, problems));
  return catalogue;
}

/** Reads and parses a catalogue file; errors' `file` is the path relative to the working directory. */
export function loadDeviceCatalogueFile(path: string): DeviceCatalogue {
  const file = displayPath(path);
  const read = readSchemaFile(path, file);
  if ('issue' in read) throw catalogueError([read.issue]);
  return parseDeviceCatalogue(read.text, file);
}

function catalogueError(issues: readonly SchemaFileIssue[]): RiskwatchError {
  return schemaFileError(ERR_CATALOGUE_INVALID, issues);
}

// --- schema errors, in the words of the file's author --------------------------------------------

const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [CATALOGUE_NAME_PATTERN]: 'must be lowercase letters, digits and _, starting with a letter',
  [DURATION_PATTERN]: 'must be a duration such as 90s, 15m, 1h',
  [TIME_OF_DAY_PATTERN]: 'must be a 24-hour time such as 06:30',
};

function explainSchemaErrors(errors: readonly ErrorObject[], data: unknown): PathProblem[] {
  // A `oneOf` failure stands for its branches: one message, not one per branch.
  const oneOfs = errors.filter((err) => err.keyword === 'oneOf').map((err) => `${err.schemaPath}/`);
  // A misspelt field is one mistake: "unknown field reportEvrey (did you mean reportEvery?)" says
  // it all, without "missing required field reportEvery" beside it.
  const misspelt = (err: ErrorObject) =>
    errors.some((other) => other.keyword === 'additionalProperties' && other.instancePath === err.instancePath &&
      suggestion(String(other.params.additionalProperty), [String(err.params.missingProperty)]) !== '');
  const problems: PathProblem[] = [];
  for (const err of errors) {
    if (oneOfs.some((prefix) => err.schemaPath.startsWith(prefix))) continue;
    if (err.keyword === 'required' && misspelt(err)) continue;
    const problem = explain(err, data);
    if (problem) problems.push(problem);
  }
  return problems;
}

function explain(err: ErrorObject, data: unknown): PathProblem | undefined {
  const path = errorPath(err, data);
  const params = err.params as Record<string, unknown>;
  // Errors inside `propertyNames` carry the offending key.
  const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
  switch (err.keyword) {
    case 'propertyNames':
    case 'if':
      return undefined; // the error inside says it better
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      return { path: [...path, name], atKey: true, message: `unknown field "${name}"${suggestion(name, known)}` };
    }
    case 'type': {
      const types = String(params.type).split(',');
      return { path, message: `must be ${types.map(article).join(' or ')}, not ${describeValue(err.data)}` };
    }
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}, not ${describeValue(err.data)}` };
    case 'pattern': {
      const words = PATTERN_WORDS[String(params.pattern)] ?? `must match ${String(params.pattern)}`;
      if (propertyName !== undefined) return { path: [...path, propertyName], atKey: true, message: `name "${propertyName}" ${words}` };
      return { path, message: `${words}, not ${describeValue(err.data)}` };
    }
    case 'oneOf':
      return { path, message: 'must be a number or [low, high]' };
    default:
      return explainCommonKeyword(err, path);
  }
}

// --- checks beyond the schema, and the frozen catalogue ------------------------------------------

function build(doc: DeviceCatalogueDocument, file: string, problems: PathProblem[]): DeviceCatalogue {
  const metrics = new Map<string, MetricSpec>();
  for (const [name, metric] of Object.entries(doc.metrics)) metrics.set(name, metricSpec(name, metric, problems));
  const types = new Map<string, DeviceTypeSpec>();
  for (const [name, type] of Object.entries(doc.types)) types.set(name, typeSpec(name, type, metrics, problems));
  return Object.freeze({ file, typeNames: Object.freeze([...types.keys()]), types, metrics });
}

function metricSpec(name: string, doc: MetricDocument, problems: PathProblem[]): MetricSpec {
  const at = (...rest: DataPath): DataPath => ['metrics', name, ...rest];
  if (doc.type === 'boolean') {
    for (const field of ['unit', 'minimum', 'maximum'] as const) {
      if (doc[field] !== undefined) problems.push({ path: at(field), atKey: true, message: `a boolean has no ${field}` });
    }
    if (doc.states === undefined) problems.push({ path: at(), atKey: true, message: 'a boolean needs states: the words for true and false' });
  } else {
    if (doc.states !== undefined) problems.push({ path: at('states'), atKey: true, message: 'only booleans have states' });
    if (doc.minimum !== undefined && doc.maximum !== undefined && doc.minimum > doc.maximum) {
      problems.push({ path: at('maximum'), message: `must not be below minimum (${doc.minimum})` });
    }
  }
  return Object.freeze({
    name,
    type: doc.type,
    ...(doc.unit !== undefined && { unit: doc.unit }),
    ...(doc.minimum !== undefined && { minimum: doc.minimum }),
    ...(doc.maximum !== undefined && { maximum: doc.maximum }),
    description: doc.description,
    label: text(doc.label),
    ...(doc.states !== undefined && { states: Object.freeze({ true: text(doc.states.true), false: text(doc.states.false) }) }),
    diagnostic: doc.diagnostic ?? false,
  });
}

function typeSpec(name: string, doc: DeviceTypeDocument, metrics: ReadonlyMap<string, MetricSpec>, problems: PathProblem[]): DeviceTypeSpec {
  const at = (...rest: DataPath): DataPath => ['types', name, ...rest];
  const declared = [...metrics.keys()];
  doc.metrics.forEach((metric, i) => {
    if (!metrics.has(metric)) problems.push({ path: at('metrics', i), message: `metric "${metric}" is not declared under metrics${suggestion(metric, declared)}` });
  });
  const own = new Map<string, MetricSpec>(doc.metrics.flatMap((metric) => (metrics.has(metric) ? [[metric, metrics.get(metric)!] as const] : [])));
  const reportEveryMs = positiveDuration(doc.reportEvery, at('reportEvery'), problems);
  const activity = doc.activity && activitySpec(doc.activity, own, doc.metrics, at('activity'), problems);
  const simulation = simulationSpec(doc, own, activity, reportEveryMs, at('simulation'), problems);
  return Object.freeze({
    name,
    label: text(doc.label),
    ...(doc.description !== undefined && { description: doc.description }),
    metrics: Object.freeze([...doc.metrics]),
    reportEvery: doc.reportEvery,
    reportEveryMs,
    batches: doc.batches,
    reportsOnEvent: doc.reportsOnEvent,
    ...(activity !== undefined && { activity }),
    simulation,
  });
}

function activitySpec(
  doc: NonNullable<DeviceTypeDocument['activity']>,
  own: ReadonlyMap<string, MetricSpec>,
  listed: readonly string[],
  at: DataPath,
  problems: PathProblem[],
): ActivitySpec | undefined {
  const metric = own.get(doc.metric);
  if (!metric) {
    problems.push({ path: [...at, 'metric'], message: `"${doc.metric}" is not one of this type's metrics${suggestion(doc.metric, listed)}` });
    return undefined;
  }
  if (metric.type === 'number' && (doc.above === undefined || doc.is !== undefined)) {
    problems.push({ path: at, atKey: true, message: `${doc.metric} is a number: say what counts as activity with above: <number> (and no is)` });
    return undefined;
  }
  if (metric.type === 'boolean' && (doc.is === undefined || doc.above !== undefined)) {
    problems.push({ path: at, atKey: true, message: `${doc.metric} is a boolean: say what counts as activity with is: true or is: false (and no above)` });
    return undefined;
  }
  return Object.freeze({
    metric: doc.metric,
    ...(doc.above !== undefined && { above: doc.above }),
    ...(doc.is !== undefined && { is: doc.is }),
    noun: text(doc.noun),
  });
}

function simulationSpec(
  type: DeviceTypeDocument,
  own: ReadonlyMap<string, MetricSpec>,
  activity: ActivitySpec | undefined,
  reportEveryMs: number,
  at: DataPath,
  problems: PathProblem[],
): SimulationSpec {
  const doc = type.simulation;
  const normal = generators(doc.normal, own, [...at, 'normal'], problems);
  const normalMetrics = new Set(normal.map(([metric]) => metric));
  // A register may add up only what every reading carries.
  const checkIntegrals = (set: ReadingGenerators, where: DataPath) => {
    for (const [metric, generator] of set) {
      if (generator.kind === 'integral' && !(own.get(generator.of)?.type === 'number' && normalMetrics.has(generator.of) && generator.of !== metric)) {
        problems.push({ path: [...where, metric, 'integrates'], message: `must name another number metric of this type that normal readings carry` });
      }
    }
  };
  checkIntegrals(normal, [...at, 'normal']);
  let active: SimulationSpec['active'];
  if (doc.active) {
    const set = generators(doc.active.set, own, [...at, 'active', 'set'], problems);
    checkIntegrals(set, [...at, 'active', 'set']);
    const hours = doc.active.hours && Object.freeze({ from: hourOf(doc.active.hours.from), to: hourOf(doc.active.hours.to) });
    active = Object.freeze({ chance: doc.active.chance, ...(hours && { hours }), set });
  }
  if (activity) {
    // Without this a generic simulator would make every device of the type look inactive, or active all the time.
    const normalShows = shows(activity, normal);
    if (normalShows !== false) {
      const problem = normalShows === undefined ? `must set ${activity.metric}, the activity metric` : `must not show the activity (${describeActivity(activity)})`;
      problems.push(normalShows === undefined ? { path: [...at, 'normal'], atKey: true, message: problem } : { path: [...at, 'normal', activity.metric], message: problem });
    }
    if (!active) {
      problems.push({ path: at, atKey: true, message: `a type with an activity needs simulation.active, readings that show it (${describeActivity(activity)})` });
    } else {
      const activeShows = shows(activity, active.set);
      if (activeShows !== true) {
        problems.push(activeShows === undefined
          ? { path: [...at, 'active', 'set'], atKey: true, message: `must set ${activity.metric}, the activity metric` }
          : { path: [...at, 'active', 'set', activity.metric], message: `must show the activity (${describeActivity(activity)})` });
      }
    }
  }
  let alarm: SimulationSpec['alarm'];
  if (doc.alarm) {
    const set = generators(doc.alarm.set, own, [...at, 'alarm', 'set'], problems);
    checkIntegrals(set, [...at, 'alarm', 'set']);
    const everyMs = doc.alarm.reportEvery === undefined ? reportEveryMs : positiveDuration(doc.alarm.reportEvery, [...at, 'alarm', 'reportEvery'], problems);
    alarm = Object.freeze({ set, reportEveryMs: everyMs });
  }
  return Object.freeze({ normal, ...(active && { active }), ...(alarm && { alarm }) });
}

/**
 * Whether every value `set` can give the activity metric shows the activity (true), none does
 * (false), or the metric is not set (undefined). Noise (`around`) and registers cannot be bounded:
 * they count as not showing it.
 */
function shows(activity: ActivitySpec, set: ReadingGenerators): boolean | 'sometimes' | undefined {
  const generator = set.find(([metric]) => metric === activity.metric)?.[1];
  if (!generator) return undefined;
  if (activity.is !== undefined) {
    if (generator.kind === 'constant') return generator.value === activity.is;
    return generator.kind === 'chance' && (generator.p === 0 || generator.p === 1) ? (generator.p === 1) === activity.is : 'sometimes';
  }
  const above = activity.above!;
  if (generator.kind === 'constant') return (generator.value as number) > above;
  if (generator.kind === 'between') return generator.low > above ? true : generator.high <= above ? false : 'sometimes';
  return 'sometimes';
}

function describeActivity(activity: ActivitySpec): string {
  return activity.is !== undefined ? `${activity.metric} is ${String(activity.is)}` : `${activity.metric} above ${String(activity.above)}`;
}

function generators(
  doc: Record<string, GeneratorDocument>,
  own: ReadonlyMap<string, MetricSpec>,
  at: DataPath,
  problems: PathProblem[],
): ReadingGenerators {
  const out: Array<readonly [string, ValueGenerator]> = [];
  for (const [metric, generatorDoc] of Object.entries(doc)) {
    const spec = own.get(metric);
    if (!spec) {
      problems.push({ path: [...at, metric], atKey: true, message: `"${metric}" is not one of this type's metrics${suggestion(metric, [...own.keys()])}` });
      continue;
    }
    const generator = generatorSpec(generatorDoc, spec, [...at, metric], problems);
    if (generator) out.push(Object.freeze([metric, generator] as const));
  }
  return Object.freeze(out);
}

/** The fields each generator may have; the first listed is the one that names it. */
const GENERATOR_FIELDS: ReadonlyArray<readonly [ValueGenerator['kind'], readonly string[]]> = [
  ['between', ['between', 'decimals']],
  ['around', ['around', 'spread', 'decimals']],
  ['chance', ['chance']],
  ['integral', ['integrates', 'start', 'per', 'factor', 'decimals']],
  ['drift', ['perDay', 'start', 'decimals']],
];

function generatorSpec(doc: GeneratorDocument, metric: MetricSpec, at: DataPath, problems: PathProblem[]): ValueGenerator | undefined {
  const problem = (message: string, field?: string) => {
    problems.push(field === undefined ? { path: at, message } : { path: [...at, field], atKey: true, message });
    return undefined;
  };
  if (typeof doc !== 'object') {
    if (typeof doc !== metric.type) return problem(`${metric.name} is a ${metric.type}, not ${describeValue(doc)}`);
    if (typeof doc === 'number' && !within(doc, metric)) return problem(`must be within ${metric.name}'s ${rangeText(metric)}`);
    return Object.freeze({ kind: 'constant', value: doc });
  }
  const entry = GENERATOR_FIELDS.find(([, fields]) => doc[fields[0] as keyof typeof doc] !== undefined);
  if (!entry) {
    return problem(doc.start !== undefined
      ? 'start needs perDay (a drift) or integrates (a register)'
      : 'must be a constant, or name between, around, chance, perDay or integrates');
  }
  const [kind, fields] = entry;
  const extra = Object.keys(doc).find((field) => !fields.includes(field));
  if (extra !== undefined) return problem(`${extra} does not go with ${fields[0]}`, extra);
  if ((kind === 'chance') !== (metric.type === 'boolean')) {
    return problem(kind === 'chance' ? `chance makes booleans; ${metric.name} is a number` : `${metric.name} is a boolean: use true, false or { chance: p }`);
  }
  const decimals = doc.decimals ?? DEFAULT_DECIMALS;
  const startOf = (value: number | [number, number] | undefined, field: string): readonly [number, number] | undefined => {
    const pair = pairOf(value ?? 0);
    if (pair[0] > pair[1]) return problem('the low bound must not be above the high bound', field);
    return pair;
  };
  switch (kind) {
    case 'between': {
      const [low, high] = doc.between!;
      if (low > high) return problem('the low bound must not be above the high bound', 'between');
      return Object.freeze({ kind, low, high, decimals });
    }
    case 'around': {
      if (doc.spread === undefined) return problem('around needs spread (the noise, as a standard deviation)');
      const base = startOf(doc.around, 'around');
      return base && Object.freeze({ kind, base, spread: doc.spread, decimals });
    }
    case 'chance':
      return Object.freeze({ kind, p: doc.chance! });
    case 'drift': {
      const start = startOf(doc.start, 'start');
      return start && Object.freeze({ kind, start, perDay: doc.perDay!, decimals });
    }
    case 'integral': {
      if (doc.per === undefined) return problem('integrates needs per: the time unit of the metric it adds up (1h for W, 1m for L/min)');
      const perMs = positiveDuration(doc.per, [...at, 'per'], problems);
      const start = startOf(doc.start, 'start');
      return start && Object.freeze({ kind, start, of: doc.integrates!, perMs, factor: doc.factor ?? 1, decimals });
    }
  }
}

// --- small parts ---------------------------------------------------------------------------------

function text(label: LocalizedText): LocalizedText {
  return Object.freeze({ zh: label.zh, en: label.en });
}

function pairOf(value: number | [number, number]): readonly [number, number] {
  return Object.freeze(typeof value === 'number' ? [value, value] as const : [value[0], value[1]] as const);
}

function within(value: number, metric: MetricSpec): boolean {
  return (metric.minimum === undefined || value >= metric.minimum) && (metric.maximum === undefined || value <= metric.maximum);
}

function rangeText(metric: MetricSpec): string {
  return `range ${metric.minimum ?? '−∞'}..${metric.maximum ?? '∞'}`;
}

/** `06:30` → 6.5. */
function hourOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h! + m! / 60;
}

function positiveDuration(value: string, path: DataPath, problems: PathProblem[]): number {
  const ms = parseDuration(value); // the schema's pattern already holds
  if (ms <= 0) problems.push({ path, message: 'must be longer than 0' });
  return ms;
}
