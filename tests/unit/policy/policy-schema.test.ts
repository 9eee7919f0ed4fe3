import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDeadline } from '../../../src/policy/policy-file.js';
import { DEADLINE_PATTERN, OPERATOR_PATTERN, dispatchPolicySchema } from '../../../src/policy/policy-schema.js';

const PUBLISHED = 'schemas/dispatch-policy.schema.json';

describe('dispatch policy JSON Schema', () => {
  it('is published byte for byte in schemas/dispatch-policy.schema.json', () => {
    // If this fails, regenerate: JSON.stringify(dispatchPolicySchema, null, 2) + '\n'.
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(`${JSON.stringify(dispatchPolicySchema, null, 2)}\n`);
  });

  it('validates the shipped policies on its own, as an editor would, and rejects a typo', () => {
    const validate = new Ajv2020({ allowUnionTypes: true, strictRequired: false }).compile(JSON.parse(readFileSync(PUBLISHED, 'utf8')) as object);
    for (const file of ['rules/dispatch/policy.yaml', 'rules/demo/dispatch/policy.yaml']) {
      expect([file, validate(parse(readFileSync(file, 'utf8')))]).toEqual([file, true]);
    }
    const typo = parse(readFileSync('rules/dispatch/policy.yaml', 'utf8')) as { rules: { when: { all: { fact: string }[] } }[] };
    typo.rules[0]!.when.all[0]!.fact = 'categroy';
    expect(validate(typo)).toBe(false);
  });

  it('describes every field, including those of conditions and rule outcomes', () => {
    const undocumented: string[] = [];
    const visit = (schema: unknown, where: string) => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Record<string, unknown>;
      for (const [name, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
        if (typeof (child as { description?: unknown }).description !== 'string') undocumented.push(`${where}.${name}`);
        visit(child, `${where}.${name}`);
      }
      if (s.items) visit(s.items, `${where}[]`);
    };
    visit(dispatchPolicySchema, '');
    for (const [name, def] of Object.entries(dispatchPolicySchema.$defs)) {
      if (typeof (def as { description?: unknown }).description !== 'string') undocumented.push(`$defs.${name}`);
      visit(def, `$defs.${name}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('accepts spans and working days as deadlines, and nothing ambiguous', () => {
    const pattern = new RegExp(DEADLINE_PATTERN, 'u');
    const accepted = ['15m', '2h', '24h', '1h30m', '7d', '1 working day', '3 working days', '10 working days'];
    const rejected = ['3 days', '3wd', '3 working', 'three working days', '0 working days', '15', '15 m', '3  working days', ''];
    expect(accepted.filter((text) => pattern.test(text))).toEqual(accepted);
    expect(rejected.filter((text) => pattern.test(text))).toEqual([]);
    expect(accepted.map(parseDeadline)).toEqual([
      { ms: 900_000 }, { ms: 7_200_000 }, { ms: 86_400_000 }, { ms: 5_400_000 }, { ms: 604_800_000 },
      { workingDays: 1 }, { workingDays: 3 }, { workingDays: 10 },
    ]);
  });

  it("admits json-rules-engine's operators with their decorators, and nothing else", () => {
    const pattern = new RegExp(OPERATOR_PATTERN, 'u');
    const good = ['equal', 'in', 'greaterThanInclusive', 'not:in', 'someFact:equal', 'not:someValue:equal', 'swap:contains'];
    const bad = ['equals', 'gte', '>=', 'not', 'not:', 'nope:equal', 'equal:not', 'Equal'];
    expect(good.filter((op) => pattern.test(op))).toEqual(good);
    expect(bad.filter((op) => pattern.test(op))).toEqual([]);
  });
});
