import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import type { MetricValue } from '../contracts/reading.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';

/**
 * CEL (the Kubernetes / Envoy expression language) compiled once per expression; ~50 ns per
 * evaluation measured here. Variables: `value` (the scenario's metric), `metrics`, `ts`, `device`,
 * `subject`, `place`. Unlisted variables are dynamic so plain JS numbers need no BigInt wrapping.
 */
const environment = new Environment({ unlistedVariablesAreDyn: true });

export type ReadingPredicate = (reading: EnrichedReading, value?: MetricValue) => boolean;
export type ContextPredicate = (ctx: DeviceContext) => boolean;

export class ExpressionError extends Error {
  constructor(readonly expression: string, readonly reason: string) {
    super(`${reason} in "${expression}"`);
  }
}

type Evaluate = ((activation: Record<string, unknown>) => unknown) & { ast?: ASTNode };

function parse(expression: string): Evaluate {
  try {
    return environment.parse(expression) as unknown as Evaluate;
  } catch (err) {
    throw new ExpressionError(expression, (err as Error).message.split('\n')[0] ?? 'invalid expression');
  }
}

/** Throws ExpressionError when `expression` does not parse. */
export function checkExpression(expression: string): void {
  parse(expression);
}

/**
 * A predicate over one reading. An evaluation error (a metric the reading lacks, a type mismatch)
 * counts as `false` and is reported through `onError`, so one odd reading cannot stop a scenario.
 */
export function compileReadingPredicate(expression: string, onError?: (err: Error) => void): ReadingPredicate {
  const evaluate = parse(expression);
  const fast = evaluate.ast === undefined ? undefined : fastCondition(evaluate.ast);
  // One activation object per predicate, refilled per call: evaluation is synchronous and never
  // re-entered, and this saves an allocation on every reading.
  const activation: Record<string, unknown> = { value: undefined, metrics: undefined, ts: 0, device: undefined, subject: undefined, place: undefined };
  return (reading, value) => {
    if (fast !== undefined) {
      const verdict = fast(reading, value);
      if (verdict !== UNDECIDED) return verdict === TRUE;
    }
    try {
      const view = reading.ctx.celView;
      activation.value = value;
      activation.metrics = reading.metrics;
      activation.ts = reading.ts;
      activation.device = view.device;
      activation.subject = view.subject;
      activation.place = view.place;
      return evaluate(activation) === true;
    } catch (err) {
      onError?.(err as Error);
      return false;
    }
  };
}

/** A predicate over a device's context (scenario `appliesTo.when`), evaluated once per device. */
export function compileContextPredicate(expression: string, onError?: (err: Error) => void): ContextPredicate {
  const evaluate = parse(expression);
  return (ctx) => {
    try {
      return evaluate({ device: ctx.celView.device, subject: ctx.celView.subject, place: ctx.celView.place }) === true;
    } catch (err) {
      onError?.(err as Error);
      return false;
    }
  };
}

/*
 * The conditions scenarios put on every reading are small: `value >= 25`, `metrics.flow_lpm > 0.1`,
 * `has(metrics.smoke_alarm) && metrics.smoke_alarm == true`. For those, the parsed expression is
 * also turned into a few closures that answer without the interpreter (replay profile: the CEL
 * interpreter was ~60–210 ns and an allocation per evaluation, the largest cost of a threshold
 * model). They answer only where the answer is certain — operands that are numbers or booleans,
 * a metric the reading has — and say UNDECIDED otherwise (a missing metric, a string, a type
 * mismatch, a part of CEL they do not cover), and then the interpreter evaluates the whole
 * expression as before, errors and all. So the fast form never changes a result or an error; it
 * only skips the interpreter where the interpreter's answer is known.
 *
 * The semantics mirrored are cel-js 8's (checked by tests/unit/core/expression.test.ts against the
 * interpreter): numeric comparisons across int and double compare the numbers; `==`/`!=` of two
 * booleans compare them; `has(metrics.x)` is "the record has its own property x, not undefined";
 * `&&` is false as soon as one side is false (an error on the other side is absorbed), `||` is true
 * as soon as one side is true; `!` negates a bool.
 */

const FALSE = 0;
const TRUE = 1;
const UNDECIDED = 2;
type Verdict = typeof FALSE | typeof TRUE | typeof UNDECIDED;
type Condition = (reading: EnrichedReading, value: MetricValue | undefined) => Verdict;
/** An operand's value when it is a number or a boolean; NOT_SIMPLE otherwise. */
type Operand = (reading: EnrichedReading, value: MetricValue | undefined) => number | boolean | typeof NOT_SIMPLE;
const NOT_SIMPLE = Symbol('not simple');

const MAX_EXACT = 2 ** 53;
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** The fast form of `node` as a condition, or undefined when it is outside the covered subset. */
function fastCondition(node: ASTNode): Condition | undefined {
  switch (node.op) {
    case '&&':
    case '||': {
      const left = fastCondition(node.args[0]);
      const right = fastCondition(node.args[1]);
      if (left === undefined || right === undefined) return undefined;
      // The side that decides alone (false for &&, true for ||) decides even when the other side
      // would fail; anything else undecided goes to the interpreter.
      const absorbing = node.op === '&&' ? FALSE : TRUE;
      return (reading, value) => {
        const a = left(reading, value);
        if (a === absorbing) return a;
        const b = right(reading, value);
        if (b === absorbing) return b;
        return a === UNDECIDED || b === UNDECIDED ? UNDECIDED : a;
      };
    }
    case '!_': {
      const inner = fastCondition(node.args);
      if (inner === undefined) return undefined;
      return (reading, value) => {
        const a = inner(reading, value);
        return a === UNDECIDED ? UNDECIDED : a === TRUE ? FALSE : TRUE;
      };
    }
    case 'call': {
      const [name, callArgs] = node.args;
      if (name !== 'has' || callArgs.length !== 1) return undefined;
      const field = metricField(callArgs[0]!);
      if (field === undefined) return undefined;
      return (reading) => {
        const metrics = reading.metrics;
        if (!isPlainRecord(metrics)) return UNDECIDED;
        if (!Object.hasOwn(metrics, field)) return FALSE;
        const v = metrics[field];
        return typeof v === 'number' || typeof v === 'boolean' ? TRUE : UNDECIDED;
      };
    }
    default: {
      if (COMPARISONS.has(node.op)) return comparison(node.op, node.args as [ASTNode, ASTNode]);
      // A bare operand used as a condition (`metrics.door_open`, `true`): a bool decides.
      const operand = fastOperand(node);
      if (operand === undefined) return undefined;
      return (reading, value) => {
        const v = operand(reading, value);
        return typeof v === 'boolean' ? (v ? TRUE : FALSE) : UNDECIDED;
      };
    }
  }
}

function comparison(op: string, [leftNode, rightNode]: [ASTNode, ASTNode]): Condition | undefined {
  const left = fastOperand(leftNode);
  const right = fastOperand(rightNode);
  if (left === undefined || right === undefined) return undefined;
  const ordering = op !== '==' && op !== '!=';
  return (reading, value) => {
    const a = left(reading, value);
    const b = right(reading, value);
    if (typeof a === 'number' && typeof b === 'number') return compareNumbers(op, a, b) ? TRUE : FALSE;
    // Booleans: equality only (ordering and mixed kinds go to the interpreter).
    if (!ordering && typeof a === 'boolean' && typeof b === 'boolean') return (a === b) === (op === '==') ? TRUE : FALSE;
    return UNDECIDED;
  };
}

function compareNumbers(op: string, a: number, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    default: return a !== b;
  }
}

/** `value`, `metrics.<name>`, or a number or bool literal (constants as themselves). */
function fastOperand(node: ASTNode): Operand | undefined {
  if (node.op === 'id') return node.args === 'value' ? (_reading, value) => (typeof value === 'number' || typeof value === 'boolean' ? value : NOT_SIMPLE) : undefined;
  const field = metricField(node);
  if (field !== undefined) {
    return (reading) => {
      const metrics = reading.metrics;
      if (!isPlainRecord(metrics) || !Object.hasOwn(metrics, field)) return NOT_SIMPLE; // the interpreter reports the missing key
      const v = metrics[field];
      return typeof v === 'number' || typeof v === 'boolean' ? v : NOT_SIMPLE;
    };
  }
  const constant = literal(node);
  return constant === undefined ? undefined : () => constant;
}

/** A literal number (int within ±2^53, so exact as a double; or double) or bool, with unary minus; else undefined. */
function literal(node: ASTNode): number | boolean | undefined {
  if (node.op === '-_') {
    const inner = literal(node.args);
    return typeof inner === 'number' ? -inner : undefined;
  }
  if (node.op !== 'value') return undefined;
  const v: unknown = node.args;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(MAX_EXACT) && v >= -BigInt(MAX_EXACT)) return Number(v);
  return undefined;
}

/** The field name of `metrics.<name>`, or undefined. */
function metricField(node: ASTNode): string | undefined {
  if (node.op !== '.') return undefined;
  const [object, field] = node.args;
  return object.op === 'id' && object.args === 'metrics' ? field : undefined;
}

/** A record whose fields CEL reads as its own properties (an object literal or JSON, not a Map or class instance). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
