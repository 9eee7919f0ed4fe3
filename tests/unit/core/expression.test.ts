import { Environment } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { MetricValue } from '../../../src/contracts/reading.js';
import { compileReadingPredicate } from '../../../src/core/expression.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

/**
 * Reading predicates answer simple conditions without the CEL interpreter (core/expression.ts).
 * Whatever the condition and the reading, the answer — and whether the expression failed, so
 * `onError` is called — must be the interpreter's own: checked here against cel-js evaluating the
 * same expression with the same variables.
 */

const reference = new Environment({ unlistedVariablesAreDyn: true });
const ctx = makeContext({ deviceId: 'wm-1', type: 'water_meter', subject: { id: 'hh-1', livingAlone: true, age: 80 } });

/** What the interpreter alone says: true, false, or 'error'. */
function interpreted(expression: string, metrics: Record<string, unknown>, value: MetricValue | undefined): boolean | 'error' {
  const activation = { value, metrics, ts: 1000, device: ctx.celView.device, subject: ctx.celView.subject, place: ctx.celView.place };
  try {
    return reference.parse(expression)(activation) === true;
  } catch {
    return 'error';
  }
}

/** What the compiled predicate says, in the same terms. */
function compiled(expression: string, metrics: Record<string, unknown>, value: MetricValue | undefined): boolean | 'error' {
  let failed = false;
  const predicate = compileReadingPredicate(expression, () => {
    failed = true;
  });
  const result = predicate(makeReading(ctx, 1000, metrics as Record<string, MetricValue>), value);
  if (failed) {
    expect(result).toBe(false); // a failing expression counts as false
    return 'error';
  }
  return result;
}

const names = ['a', 'b'] as const;
const numberLiteral = fc.oneof(
  fc.integer({ min: -30, max: 30 }).map(String),
  fc.constantFrom('0.5', '1.5', '-0.5', '0.0', '-0.0', '25', '1e2', '9007199254740993', '-9007199254740993', '9007199254740992', '3u'),
);
const operand = fc.oneof(fc.constant('value'), fc.constantFrom(...names).map((n) => `metrics.${n}`));
const comparison = fc
  .tuple(operand, fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.oneof(numberLiteral, fc.constantFrom('true', 'false'), operand))
  .map(([l, op, r]) => `${l} ${op} ${r}`);
const atom = fc.oneof(
  comparison,
  fc.constantFrom(...names).map((n) => `has(metrics.${n})`),
  operand,
  fc.constantFrom('true', 'false', 'ts > 5', 'subject.livingAlone', 'metrics.a in [1, 2]'),
);
const condition: fc.Arbitrary<string> = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('expr') as fc.Arbitrary<string>, fc.constantFrom('&&', '||'), tie('expr') as fc.Arbitrary<string>).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    (tie('expr') as fc.Arbitrary<string>).map((a) => `!(${a})`),
  ),
})).expr;

const metricValue = fc.oneof(
  fc.integer({ min: -40, max: 40 }),
  fc.double({ min: -40, max: 40, noNaN: true }),
  fc.constantFrom(0.5, 1.5, -0, 25, 100, 9007199254740992, Number.NaN),
  fc.boolean(),
  fc.constantFrom('1', null),
);
const metrics = fc.record({ a: metricValue, b: metricValue }, { requiredKeys: [] });
const value = fc.oneof(fc.constant(undefined), fc.integer({ min: -40, max: 40 }), fc.double({ min: -40, max: 40, noNaN: true }), fc.boolean(), fc.constantFrom(0.5, 25, -0));

describe('reading predicates agree with the CEL interpreter', () => {
  it('on random conditions over value and metrics, with numbers, booleans, missing and odd values', () => {
    fc.assert(
      fc.property(condition, metrics, value, (expression, m, v) => {
        expect({ expression, m, v, result: compiled(expression, m, v as MetricValue | undefined) }).toEqual({
          expression, m, v, result: interpreted(expression, m, v as MetricValue | undefined),
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('on every shipped scenario condition, for readings around their thresholds', () => {
    const expressions: string[] = [];
    for (const file of readdirSync('rules').filter((f) => f.endsWith('.yaml'))) {
      const doc = parseYaml(readFileSync(join('rules', file), 'utf8')) as Record<string, unknown>;
      for (const map of ['levels', 'reset'] as const) {
        const levels = doc[map];
        if (doc.model === 'threshold' && levels && typeof levels === 'object') expressions.push(...(Object.values(levels) as string[]));
      }
      if (typeof doc.active === 'string') expressions.push(doc.active);
    }
    expect(expressions.length).toBeGreaterThan(8);
    const near = [undefined, true, false, 0, -0, 0.1, 0.2, 0.5, 0.50001, 1, 1.5, 5, 8, 9.99, 10, 20, 25, 24.9, 100, 101, '1'];
    const metricNames = ['gas_lel_pct', 'flow_lpm', 'power_w', 'smoke_alarm', 'smoke_obscuration_pct_per_m', 'door_open', 'fall_detected', 'sos_pressed', 'resident_ok'];
    for (const expression of expressions) {
      for (const x of near) {
        for (const name of metricNames) {
          const m = x === undefined ? {} : { [name]: x };
          const v = typeof x === 'number' || typeof x === 'boolean' ? x : undefined;
          expect({ expression, m, result: compiled(expression, m, v) }).toEqual({ expression, m, result: interpreted(expression, m, v) });
        }
      }
    }
  });
});
