import { describe, expect, it } from 'vitest';
import type { DispatchFacts } from '../../../src/contracts/dispatch.js';
import { dispatchFacts } from '../../../src/policy/dispatch-facts.js';
import { DispatchPolicyEngine } from '../../../src/policy/policy-engine.js';
import { loadDispatchPolicyFile } from '../../../src/policy/policy-file.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { makeAlert } from '../../helpers/store-fixtures.js';

const registry = loadRegistryFile('registry/demo.yaml');
const shanghai = (time: string) => Date.parse(`2026-11-18T${time}:00+08:00`); // a Wednesday

function gasFacts(deviceId: string, level: 'orange' | 'red', at: number, openOrdersOfSubject = 0): DispatchFacts {
  const ctx = registry.context(deviceId)!;
  const alert = makeAlert({ deviceId, scenarioId: 'gas-concentration', category: 'gas', level, subjectId: ctx.subject?.id });
  return dispatchFacts({ alert, ctx, at, openOrdersOfSubject, rejectedBy: [] });
}

/**
 * Decisions are remembered by the facts the rules read: the same situation elsewhere is decided at
 * once, identically; anything a rule reads that differs is decided afresh by json-rules-engine.
 */
describe('decision memo (shipped policy)', () => {
  it('decides a repeated situation at once, with the same result json-rules-engine gave', async () => {
    const policy = new DispatchPolicyEngine(loadDispatchPolicyFile('rules/dispatch/policy.yaml', { registry }));
    const first = gasFacts('gd-0009', 'orange', shanghai('10:00'));
    expect(policy.decideNow(first)).toBeUndefined(); // never seen: needs a run
    const decided = await policy.decide(first);
    // Another household's detector (same age, not living alone), another minute: nothing any rule
    // reads differs. (The memo keys on raw values: a different age is a different situation.)
    const same = gasFacts('gd-0021', 'orange', shanghai('10:01'));
    expect(policy.decideNow(same)).toEqual(decided);
    // Callers get their own copy.
    policy.decideNow(same)!.notify.push('someone');
    expect(policy.decideNow(same)).toEqual(decided);
  });

  it('decides afresh when a fact a rule reads differs: level, time of night, open orders', async () => {
    const policy = new DispatchPolicyEngine(loadDispatchPolicyFile('rules/dispatch/policy.yaml', { registry }));
    const day = await policy.decide(gasFacts('gd-0002', 'orange', shanghai('10:00')));
    expect(policy.decideNow(gasFacts('gd-0002', 'red', shanghai('10:00')))).toBeUndefined();
    const red = await policy.decide(gasFacts('gd-0002', 'red', shanghai('10:00')));
    expect(red.tier).toBe('street');
    expect(policy.decideNow(gasFacts('gd-0002', 'orange', shanghai('10:00'), 2))).toBeUndefined();
    const repeated = await policy.decide(gasFacts('gd-0002', 'orange', shanghai('10:00'), 2));
    expect(repeated.rules).toContain('repeated-risk-one-tier-up');
    expect(day.rules).not.toContain('repeated-risk-one-tier-up');
  });

  it('decides without rules at once, and a replaced policy starts with nothing remembered', async () => {
    const builtIn = DispatchPolicyEngine.builtIn();
    expect(builtIn.decideNow(gasFacts('gd-0002', 'red', shanghai('10:00')))).toMatchObject({ tier: 'street', rules: [] });
    const policy = new DispatchPolicyEngine(loadDispatchPolicyFile('rules/dispatch/policy.yaml', { registry }));
    const facts = gasFacts('gd-0002', 'orange', shanghai('10:00'));
    await policy.decide(facts);
    expect(policy.decideNow(facts)).toBeDefined();
    policy.replace(loadDispatchPolicyFile('rules/dispatch/policy.yaml', { registry }));
    expect(policy.decideNow(facts)).toBeUndefined();
  });
});
