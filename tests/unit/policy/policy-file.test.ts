import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERR_POLICY_INVALID, type RiskwatchError } from '../../../src/core/errors.js';
import { DEFAULT_DISPATCH_POLICY } from '../../../src/policy/default-policy.js';
import { BUILT_IN_POLICY } from '../../../src/policy/policy-definition.js';
import {
  formatPolicyIssue,
  loadDispatchPolicyFile,
  parseDispatchPolicy,
  validateAgainstRegistry,
  type PolicyIssue,
} from '../../../src/policy/policy-file.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { Registry } from '../../../src/registry/registry.js';
import { loadScenarioDir } from '../../../src/scenarios/loader.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const registry = loadRegistryFile('registry/demo.yaml');
const scenarios = loadScenarioDir('rules').scenarios;
const FILE = 'rules/dispatch/policy.yaml';

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected the policy to be rejected');
}

/** 1-based line of the only line containing `needle`. */
function lineWith(text: string, needle: string): number {
  const lines = text.split('\n');
  expect(lines.filter((l) => l.includes(needle))).toHaveLength(1);
  return lines.findIndex((l) => l.includes(needle)) + 1;
}

describe('the shipped policy file', () => {
  it('loads, with every department in the demo registry and every category in the shipped scenarios', () => {
    const policy = loadDispatchPolicyFile(FILE, { registry, scenarios });
    expect(policy.source).toBe(FILE);
    expect(policy.rules.map((r) => r.name)).toEqual([
      'red-gas-leak-to-street', 'gas-to-gas-company', 'smoke-to-fire-station', 'long-running-water-to-water-company',
      'running-water-to-property', 'repeated-risk-one-tier-up', 'elderly-alone-at-night-to-community', 'device-offline-to-property',
    ]);
    expect(validateAgainstRegistry(policy, registry)).toEqual([]);
    // Rules remember where they are written, for messages.
    expect(policy.rules[0]!.line).toBe(lineWith(readFileSync(FILE, 'utf8'), 'name: red-gas-leak-to-street'));
  });

  it('states the same per-level defaults as the built-in policy, working days included', () => {
    const policy = loadDispatchPolicyFile(FILE);
    expect(policy.defaults).toEqual(DEFAULT_DISPATCH_POLICY);
    expect(policy.defaults.blue.resolveWithin).toEqual({ workingDays: 3 });
    expect(policy.warnAt).toBe(BUILT_IN_POLICY.warnAt);
    const offline = policy.rules.find((r) => r.name === 'device-offline-to-property')!;
    expect(offline.then).toEqual({ department: 'property-management', respondWithin: { ms: 48 * 3_600_000 }, resolveWithin: { workingDays: 5 } });
  });

  it('reminds leadership hourly at the top of the ladder, at every level, as the built-in policy does', () => {
    const policy = loadDispatchPolicyFile(FILE);
    for (const level of ['blue', 'yellow', 'orange', 'red'] as const) expect([level, policy.defaults[level].remindEvery]).toEqual([level, 3_600_000]);
  });

  it('is the same policy the demo runs (rules/demo/dispatch/policy.yaml)', () => {
    const { source: _shipped, rules: shippedRules, ...shipped } = loadDispatchPolicyFile(FILE);
    const { source: _demo, rules: demoRules, ...demo } = loadDispatchPolicyFile('rules/demo/dispatch/policy.yaml', { registry });
    expect(demo).toEqual(shipped);
    const withoutLines = (rules: typeof shippedRules) => rules.map(({ line: _line, ...rule }) => rule);
    expect(withoutLines(demoRules)).toEqual(withoutLines(shippedRules));
  });
});

const BASE = `version: 1
defaults:
  blue:   { tier: grid, priority: 1, respondWithin: 24h, resolveWithin: 3 working days }
  yellow: { tier: grid, priority: 2, respondWithin: 24h, resolveWithin: 3 working days }
  orange: { tier: community, priority: 3, respondWithin: 2h, resolveWithin: 24h }
  red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h }
rules:
  - name: gas-to-gas-company
    priority: 50
    when:
      all:
        - { fact: category, operator: equal, value: gas }
    then: { department: gas-company }
  - name: elderly-at-night
    when:
      all:
        - { fact: subject, path: $.livingAlone, operator: equal, value: true }
        - any:
            - { fact: localHour, operator: greaterThanInclusive, value: 22 }
            - { fact: localHour, operator: lessThan, value: 6 }
    then:
      tier: community
      respondWithin: 30m
`;

interface BadCase {
  what: string;
  /** Text replaced in BASE, and its replacement. */
  from: string;
  to: string;
  /** The reported field, and text on the line the error must point at. */
  field: string | undefined;
  lineOf: string;
  message: RegExp;
  /** YAML syntax errors come with follow-up errors from the parser; the first one counts. */
  followUps?: boolean;
}

const BAD: BadCase[] = [
  {
    what: 'YAML syntax', from: 'then: { department: gas-company }', to: 'then: { department: gas-company',
    field: undefined, lineOf: '  - name: elderly-at-night', message: /flow mapping|end with a }/i, followUps: true,
  },
  {
    what: 'an unknown fact (typo)', from: '{ fact: category,', to: '{ fact: categroy,',
    field: 'rules[0].when.all[0].fact', lineOf: 'fact: categroy', message: /unknown fact "categroy" \(did you mean "category"\?\)/,
  },
  {
    what: 'an unknown operator', from: 'operator: lessThan,', to: 'operator: below,',
    field: 'rules[1].when.all[1].any[1].operator', lineOf: 'operator: below', message: /unknown operator "below"; operators are equal/,
  },
  {
    what: 'a deadline that does not parse', from: 'respondWithin: 30m', to: 'respondWithin: 30 minutes',
    field: 'rules[1].then.respondWithin', lineOf: '30 minutes', message: /"30 minutes" is not a deadline/,
  },
  {
    what: 'working days written another way', from: 'blue:   { tier: grid, priority: 1, respondWithin: 24h, resolveWithin: 3 working days }',
    to: 'blue:   { tier: grid, priority: 1, respondWithin: 24h, resolveWithin: 3wd }',
    field: 'defaults.blue.resolveWithin', lineOf: '3wd', message: /is not a deadline .*3 working days/,
  },
  {
    what: 'a zero deadline', from: 'respondWithin: 30m', to: 'respondWithin: 0m',
    field: 'rules[1].then.respondWithin', lineOf: 'respondWithin: 0m', message: /must be longer than 0/,
  },
  {
    what: 'an unknown tier', from: 'tier: community\n', to: 'tier: district\n',
    field: 'rules[1].then.tier', lineOf: 'tier: district', message: /"district" is not one of: grid, community, street/,
  },
  {
    what: 'a duplicate rule name', from: 'name: elderly-at-night', to: 'name: gas-to-gas-company',
    field: 'rules[1].name', lineOf: '  - name: gas-to-gas-company\n    when', message: /"gas-to-gas-company" is already used by rules\[0\]/,
  },
  {
    what: 'a value the fact never has', from: 'value: gas }', to: 'value: 7 }',
    field: 'rules[0].when.all[0].value', lineOf: 'value: 7 }', message: /category is a string; the number 7 never matches/,
  },
  {
    what: 'a path into an object fact that does not exist', from: '$.livingAlone', to: '$.livingalone',
    field: 'rules[1].when.all[0].path', lineOf: '$.livingalone', message: /subject has no field "livingalone" \(did you mean "livingAlone"\?\)/,
  },
  {
    what: 'an object fact without a path', from: '{ fact: subject, path: $.livingAlone, operator: equal, value: true }',
    to: '{ fact: subject, operator: equal, value: true }',
    field: 'rules[1].when.all[0].fact', lineOf: 'fact: subject', message: /subject is an object: add a path .*\$\.livingAlone/,
  },
  {
    what: 'a number operator on a string fact', from: '{ fact: category, operator: equal, value: gas }',
    to: '{ fact: category, operator: greaterThan, value: 3 }',
    field: 'rules[0].when.all[0].operator', lineOf: 'greaterThan, value: 3', message: /greaterThan needs a number fact; category is a string/,
  },
  {
    what: 'an hour that never comes', from: 'value: 22 }', to: 'value: 24 }',
    field: 'rules[1].when.all[1].any[0].value', lineOf: 'value: 24 }', message: /localHour is 0–23; greaterThanInclusive 24 never holds/,
  },
  {
    what: 'a fact condition at the top of when', from: 'when:\n      all:\n        - { fact: category, operator: equal, value: gas }',
    to: 'when: { fact: category, operator: equal, value: gas }',
    field: 'rules[0].when', lineOf: 'when: { fact: category', message: /top level of when must be all, any or not/,
  },
  {
    what: 'an unknown field in then', from: 'then: { department: gas-company }', to: 'then: { departement: gas-company }',
    field: 'rules[0].then.departement', lineOf: 'departement', message: /unknown field "departement".*did you mean "department"/,
  },
  {
    what: 'a reminder interval that is not a duration', from: 'red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h }',
    to: 'red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h, remindEvery: hourly }',
    field: 'defaults.red.remindEvery', lineOf: 'remindEvery: hourly', message: /"hourly" is not a duration \(write a span such as 30m, 1h/,
  },
  {
    what: 'a zero reminder interval (a reminder at every check)', from: 'red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h }',
    to: 'red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h, remindEvery: 0m }',
    field: 'defaults.red.remindEvery', lineOf: 'remindEvery: 0m', message: /must be longer than 0/,
  },
  {
    what: 'a reminder interval set by a rule (it is per level)', from: 'then: { department: gas-company }', to: 'then: { department: gas-company, remindEvery: 30m }',
    field: 'rules[0].then.remindEvery', lineOf: 'remindEvery: 30m', message: /unknown field "remindEvery"/,
  },
  {
    what: 'a missing level in defaults', from: '  red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h }\n', to: '',
    field: 'defaults.red', lineOf: 'defaults:', message: /is required/,
  },
];

describe('a bad policy is rejected with ERR_POLICY_INVALID, file, line, column and field', () => {
  it('accepts the base text the cases below break', () => {
    expect(parseDispatchPolicy(BASE, 'policy.yaml').rules).toHaveLength(2);
  });

  it('an alias bomb, with a coded error rather than a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const err = rejection(() => parseDispatchPolicy(bomb, 'rules/dispatch/policy.yaml'));
    expect(err.code).toBe(ERR_POLICY_INVALID.code);
    expect((err.details!.errors as PolicyIssue[])[0]).toMatchObject({ file: 'rules/dispatch/policy.yaml', line: 1, message: expect.stringMatching(/alias/i) });
  });

  for (const bad of BAD) {
    it(bad.what, () => {
      expect(BASE).toContain(bad.from);
      const text = BASE.replace(bad.from, bad.to);
      const err = rejection(() => parseDispatchPolicy(text, 'rules/dispatch/policy.yaml'));
      expect(err.code).toBe(ERR_POLICY_INVALID.code);
      expect(err.statusCode).toBe(400);
      const issues = err.details!.errors as PolicyIssue[];
      const issue = issues[0]!;
      if (!bad.followUps) expect(issues).toHaveLength(1);
      expect(issue.field).toBe(bad.field);
      expect(issue.message).toMatch(bad.message);
      const line = bad.lineOf.includes('\n')
        ? text.split('\n').findIndex((l, i, all) => `${l}\n${all[i + 1]}`.startsWith(bad.lineOf)) + 1
        : lineWith(text, bad.lineOf);
      expect(issue.line).toBe(line);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(err.details).toMatchObject({ file: 'rules/dispatch/policy.yaml', line, column: issue.column });
      expect(err.message).toContain(`line ${line}`);
    });
  }

  it('an unknown department, when checked against the registry', () => {
    const text = BASE.replace('department: gas-company', 'department: gas-compnay');
    expect(parseDispatchPolicy(text, 'p.yaml').rules[0]!.then.department).toBe('gas-compnay'); // no registry, no check
    const err = rejection(() => parseDispatchPolicy(text, 'p.yaml', { registry }));
    expect(err.code).toBe('ERR_POLICY_INVALID');
    expect(err.details).toMatchObject({ file: 'p.yaml', line: lineWith(text, 'gas-compnay'), field: 'rules[0].then.department' });
    expect(String(err.message)).toMatch(/"gas-compnay" is not in the registry \(did you mean "gas-company"\?\)/);
  });

  it('a category no loaded scenario has, when the scenarios are given', () => {
    const text = BASE.replace('value: gas }', 'value: gass }');
    expect(() => parseDispatchPolicy(text, 'p.yaml')).not.toThrow();
    const err = rejection(() => parseDispatchPolicy(text, 'p.yaml', { scenarios }));
    expect(err.details).toMatchObject({ line: lineWith(text, 'gass'), field: 'rules[0].when.all[0].value' });
    expect(String(err.message)).toMatch(/"gass" never matches \(did you mean "gas"\?\)/);
  });

  it('reports every problem of the file at once, first by line in the message', () => {
    const text = BASE.replace('{ fact: category,', '{ fact: categroy,').replace('respondWithin: 30m', 'respondWithin: soon');
    const err = rejection(() => parseDispatchPolicy(text, 'p.yaml'));
    const issues = err.details!.errors as PolicyIssue[];
    expect(issues.map((i) => i.field)).toEqual(['rules[0].when.all[0].fact', 'rules[1].then.respondWithin']);
    expect(err.message).toMatch(/rules\[0\]\.when\.all\[0\]\.fact \(line \d+\): .* \(\+1 more\)$/);
    expect(formatPolicyIssue(issues[1]!)).toMatch(/^p\.yaml:\d+:\d+ rules\[1\]\.then\.respondWithin: "soon" is not a deadline/);
  });

  it('a missing file', () => {
    const err = rejection(() => loadDispatchPolicyFile('rules/dispatch/no-such-policy.yaml'));
    expect(err.code).toBe('ERR_POLICY_INVALID');
    expect(err.details).toMatchObject({ file: 'rules/dispatch/no-such-policy.yaml', line: 1 });
    expect(err.message).toContain('ENOENT');
  });
});

describe('loadDispatchPolicyFile and validateAgainstRegistry', () => {
  const dir = useTempDir('rw-policy-');

  it('reads a real file; a registry without the department is reported at the rule', () => {
    const path = join(dir(), 'policy.yaml');
    writeFileSync(path, BASE);
    const policy = loadDispatchPolicyFile(path, { registry });
    expect(policy.rules[0]!.then).toEqual({ department: 'gas-company' });
    expect(policy.rules[1]!.then).toEqual({ tier: 'community', respondWithin: { ms: 1_800_000 } });

    // A registry edited later, without a gas company: the loaded policy no longer resolves.
    const issues = validateAgainstRegistry(policy, new Registry({ departments: [{ id: 'fire-station', name: 'Fire station' }] }));
    expect(issues).toEqual([{
      file: policy.source, line: lineWith(BASE, 'name: gas-to-gas-company'), column: 1, field: 'rules[0].then.department',
      message: 'department "gas-company" is not in the registry; departments: fire-station',
    }]);
    expect(validateAgainstRegistry(policy, new Registry())[0]!.message).toMatch(/defines no departments/);
  });

  it('treats `rules:` with every rule commented out as no rules', () => {
    const path = join(dir(), 'policy.yaml');
    writeFileSync(path, `${BASE.slice(0, BASE.indexOf('rules:'))}warnAt: 0\nrules:\n  # - name: later\n`);
    const policy = loadDispatchPolicyFile(path);
    expect(policy.rules).toEqual([]);
    expect(policy.warnAt).toBe(0);
  });
});

describe('reminders at the top of the supervision ladder (remindEvery)', () => {
  it('are set per level, and 1 h where the file leaves them out', () => {
    const text = BASE.replace('respondWithin: 15m, resolveWithin: 24h }', 'respondWithin: 15m, resolveWithin: 24h, remindEvery: 30m }');
    const policy = parseDispatchPolicy(text, 'policy.yaml');
    expect(policy.defaults.red.remindEvery).toBe(30 * 60_000);
    expect(policy.defaults.orange.remindEvery).toBe(DEFAULT_DISPATCH_POLICY.orange.remindEvery);
    expect(DEFAULT_DISPATCH_POLICY.orange.remindEvery).toBe(3_600_000);
  });
});
