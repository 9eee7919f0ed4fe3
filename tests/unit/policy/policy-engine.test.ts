import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DispatchDecision, DispatchFacts } from '../../../src/contracts/dispatch.js';
import type { Level } from '../../../src/contracts/level.js';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { dispatchFacts } from '../../../src/policy/dispatch-facts.js';
import { DEFAULT_DISPATCH_POLICY } from '../../../src/policy/default-policy.js';
import { DispatchPolicyEngine } from '../../../src/policy/policy-engine.js';
import { loadDispatchPolicyFile, parseDispatchPolicy } from '../../../src/policy/policy-file.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { makeAlert } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const registry = loadRegistryFile('registry/demo.yaml');
const shipped = () => new DispatchPolicyEngine(loadDispatchPolicyFile('rules/dispatch/policy.yaml', { registry }), 1_000);

/** Wednesday 18 Nov 2026 at a wall-clock time in Shanghai (the demo city's zone). */
function wednesday(time: string): number {
  return Date.parse(`2026-11-18T${time}:00+08:00`);
}

interface Situation {
  deviceId: string;
  scenarioId: string;
  category: string;
  level: Level;
  at: number;
  openOrdersOfSubject?: number;
}

/** Facts as the engine builds them: the demo registry's context for the device, the alert, the time. */
function facts(s: Situation): DispatchFacts {
  const ctx = registry.context(s.deviceId)!;
  const alert = makeAlert({ deviceId: s.deviceId, scenarioId: s.scenarioId, category: s.category, level: s.level, subjectId: ctx.subject?.id });
  return dispatchFacts({ alert, ctx, at: s.at, openOrdersOfSubject: s.openOrdersOfSubject ?? 0, rejectedBy: [] });
}

const gasRed = (at = wednesday('14:00')): Situation => ({ deviceId: 'gd-0005', scenarioId: 'gas-concentration', category: 'gas', level: 'red', at });

describe('the shipped policy decides realistic alerts (policy evaluation from the shipped file)', () => {
  const policy = shipped();

  it('red gas leak: street, leadership informed, gas company called, 15 minutes, early warning', async () => {
    expect(await policy.decide(facts(gasRed()))).toEqual({
      tier: 'street',
      priority: 4,
      notify: ['leadership'],
      department: 'gas-company',
      respondWithin: { ms: 15 * MINUTE },
      resolveWithin: { ms: 24 * HOUR },
      warnAt: 0.5,
      remindEvery: HOUR,
      rules: ['red-gas-leak-to-street', 'gas-to-gas-company'],
    } satisfies DispatchDecision);
  });

  it('orange gas: the level\'s community tier, with the gas company', async () => {
    const decision = await policy.decide(facts({ ...gasRed(), level: 'orange' }));
    expect(decision).toMatchObject({ tier: 'community', department: 'gas-company', respondWithin: { ms: 2 * HOUR }, warnAt: 0.8 });
    expect(decision.rules).toEqual(['gas-to-gas-company']);
  });

  it('elderly resident living alone, door not opened, at 23:00: the community responds within 30 minutes', async () => {
    const night: Situation = { deviceId: 'ds-0005', scenarioId: 'door-not-opened', category: 'elderly_care', level: 'yellow', at: wednesday('23:00') };
    const decision = await policy.decide(facts(night));
    expect(decision).toMatchObject({ tier: 'community', priority: 2, respondWithin: { ms: 30 * MINUTE }, resolveWithin: { workingDays: 3 } });
    expect(decision.rules).toEqual(['elderly-alone-at-night-to-community']);
    // 05:59 is still night; 06:00 and the afternoon are the grid's, on the level's defaults.
    expect((await policy.decide(facts({ ...night, at: wednesday('05:59') }))).tier).toBe('community');
    for (const time of ['06:00', '14:00', '21:59']) {
      const day = await policy.decide(facts({ ...night, at: wednesday(time) }));
      expect([time, day.tier, day.rules]).toEqual([time, 'grid', []]);
    }
  });

  it('the night rule leaves residents who do not live alone, and red alerts, as they are', async () => {
    const family: Situation = { deviceId: 'wm-0002', scenarioId: 'water-running-continuously', category: 'water', level: 'yellow', at: wednesday('23:00') };
    expect(registry.context('wm-0002')!.subject).toMatchObject({ livingAlone: false, age: 76 });
    const decision = await policy.decide(facts(family));
    expect(decision).toMatchObject({ tier: 'grid', department: 'property-management', rules: ['running-water-to-property'] });
    const redAtNight = await policy.decide(facts(gasRed(wednesday('23:00'))));
    expect(redAtNight).toMatchObject({ tier: 'street', respondWithin: { ms: 15 * MINUTE } });
    expect(redAtNight.rules).not.toContain('elderly-alone-at-night-to-community');
  });

  it('repeated risk: a household with two unfinished orders gets the next one a tier up', async () => {
    const tap: Situation = { deviceId: 'wm-0001', scenarioId: 'water-running-continuously', category: 'water', level: 'yellow', at: wednesday('10:00') };
    expect((await policy.decide(facts({ ...tap, openOrdersOfSubject: 1 }))).tier).toBe('grid');
    const yellow = await policy.decide(facts({ ...tap, openOrdersOfSubject: 2 }));
    expect(yellow).toMatchObject({ tier: 'community', department: 'property-management' });
    expect(yellow.rules).toEqual(['repeated-risk-one-tier-up', 'running-water-to-property']);
    // Orange: community by default, one up is the street; the water company outranks property management.
    const orange = await policy.decide(facts({ ...tap, level: 'orange', openOrdersOfSubject: 3 }));
    expect(orange).toMatchObject({ tier: 'street', department: 'water-company' });
    expect(orange.rules).toEqual(['repeated-risk-one-tier-up', 'long-running-water-to-water-company', 'running-water-to-property']);
    // Already at the top: stays at the street.
    expect((await policy.decide(facts({ ...gasRed(), openOrdersOfSubject: 2 }))).tier).toBe('street');
  });

  it('smoke: fire station called and the community informed, on top of the level\'s leadership', async () => {
    const smoke: Situation = { deviceId: 'sd-0003', scenarioId: 'smoke-alarm', category: 'fire', level: 'red', at: wednesday('14:00') };
    expect(await policy.decide(facts(smoke))).toMatchObject({
      tier: 'street', notify: ['leadership', 'community'], department: 'fire-station', rules: ['smoke-to-fire-station'],
    });
    // A pre-alarm at night for an 85-year-old living alone: both rules speak, on different fields.
    const night = await policy.decide(facts({ ...smoke, level: 'orange', at: wednesday('02:00') }));
    expect(night).toMatchObject({ tier: 'community', notify: ['community'], department: 'fire-station', respondWithin: { ms: 30 * MINUTE } });
    expect(night.rules).toEqual(['smoke-to-fire-station', 'elderly-alone-at-night-to-community']);
  });

  it('a meter offline: property management on a longer SLA, but a gas meter goes to the gas company', async () => {
    const water: Situation = { deviceId: 'wm-0001', scenarioId: 'meter-offline', category: 'device', level: 'blue', at: wednesday('23:30') };
    expect(await policy.decide(facts(water))).toEqual({
      tier: 'grid', priority: 1, notify: [], department: 'property-management',
      respondWithin: { ms: 48 * HOUR }, resolveWithin: { workingDays: 5 }, warnAt: 0.8, remindEvery: HOUR, rules: ['device-offline-to-property'],
    } satisfies DispatchDecision);
    // Higher priority wins the field both rules set (department); the SLA comes from the only rule setting it.
    const gas = await policy.decide(facts({ ...water, deviceId: 'gm-0001' }));
    expect(gas).toMatchObject({ department: 'gas-company', respondWithin: { ms: 48 * HOUR }, resolveWithin: { workingDays: 5 } });
    expect(gas.rules).toEqual(['gas-to-gas-company', 'device-offline-to-property']);
  });

  it('no rule matches: exactly the level\'s defaults, no department', async () => {
    for (const level of ['blue', 'yellow', 'orange', 'red'] as const) {
      const decision = await policy.decide(facts({ deviceId: 'wm-0002', scenarioId: 'elderly-no-water', category: 'elderly_care', level, at: wednesday('10:00') }));
      const { tier, priority, notify, respondWithin, resolveWithin, remindEvery } = DEFAULT_DISPATCH_POLICY[level];
      expect(decision).toEqual({ tier, priority, notify, respondWithin, resolveWithin, warnAt: 0.8, remindEvery, rules: [] });
      expect('department' in decision).toBe(false);
    }
  });

  it('hands out a fresh notify list: a caller changing it does not change the policy', async () => {
    const first = await policy.decide(facts(gasRed()));
    first.notify.push('mayor');
    expect((await policy.decide(facts(gasRed()))).notify).toEqual(['leadership']);
    expect(DEFAULT_DISPATCH_POLICY.red.notify).toEqual(['leadership']);
  });

  it('decides right when many decisions overlap (json-rules-engine shares run status per Engine)', async () => {
    // Decisions started at different moments of each other's runs: with runs interleaved on one
    // Engine, a run that finishes marks the Engine finished and the others skip their
    // lower-priority rules. Every decision must still see all its rules.
    const engine = shipped();
    const expected = await engine.decide(facts({ ...gasRed(), deviceId: 'gm-0001', level: 'blue', scenarioId: 'meter-offline', category: 'device' }));
    expect(expected.rules).toEqual(['gas-to-gas-company', 'device-offline-to-property']);
    const pending: Promise<DispatchDecision>[] = [];
    for (let i = 0; i < 60; i++) {
      pending.push(engine.decide(facts({ ...gasRed(), deviceId: 'gm-0001', level: 'blue', scenarioId: 'meter-offline', category: 'device' })));
      for (let tick = 0; tick < i % 23; tick++) await Promise.resolve();
    }
    const decisions = await Promise.all(pending);
    expect(decisions.filter((d) => d.rules.length !== 2)).toEqual([]);
    expect(new Set(decisions.map((d) => d.department))).toEqual(new Set(['gas-company']));
  });
});

const ONE_RULE = (department: string, respondWithin: string) => `version: 1
defaults:
  blue:   { tier: grid, priority: 1, respondWithin: 24h, resolveWithin: 3 working days }
  yellow: { tier: grid, priority: 2, respondWithin: 24h, resolveWithin: 3 working days }
  orange: { tier: community, priority: 3, respondWithin: 2h, resolveWithin: 24h }
  red:    { tier: street, priority: 4, notify: [leadership], respondWithin: 15m, resolveWithin: 24h }
rules:
  - name: gas-rule
    when: { all: [ { fact: category, operator: equal, value: gas } ] }
    then: { department: ${department}, respondWithin: ${respondWithin} }
`;

describe('DispatchPolicyEngine lifecycle', () => {
  const dir = useTempDir('rw-policy-engine-');

  it('builtIn(): the default table, no rules, source built-in', async () => {
    const engine = DispatchPolicyEngine.builtIn(42);
    expect(engine.info()).toEqual({ source: 'built-in', rules: [], loadedAt: 42 });
    const decision = await engine.decide(facts(gasRed()));
    expect(decision).toEqual({ ...DEFAULT_DISPATCH_POLICY.red, warnAt: 0.8, rules: [] });
  });

  it('info(): source, rule names in file order, and the load time it was given', () => {
    expect(shipped().info()).toEqual({
      source: 'rules/dispatch/policy.yaml',
      rules: loadDispatchPolicyFile('rules/dispatch/policy.yaml').rules.map((r) => r.name),
      loadedAt: 1_000,
    });
  });

  it('replace(): a decision already running finishes on the old policy, the next one uses the new', async () => {
    const engine = new DispatchPolicyEngine(parseDispatchPolicy(ONE_RULE('gas-company', '10m'), 'v1.yaml'), 1);
    const inFlight = engine.decide(facts(gasRed()));
    const info = engine.replace(parseDispatchPolicy(ONE_RULE('fire-station', '5m'), 'v2.yaml'), 2);
    expect(info).toEqual({ source: 'v2.yaml', rules: ['gas-rule'], loadedAt: 2 });
    expect(await inFlight).toMatchObject({ department: 'gas-company', respondWithin: { ms: 10 * MINUTE } });
    expect(await engine.decide(facts(gasRed()))).toMatchObject({ department: 'fire-station', respondWithin: { ms: 5 * MINUTE } });
  });

  it('reload(): a bad file throws ERR_POLICY_INVALID with file:line, and the running policy stays in force', async () => {
    const path = join(dir(), 'policy.yaml');
    writeFileSync(path, ONE_RULE('gas-company', '10m'));
    const engine = DispatchPolicyEngine.builtIn(0);
    expect(engine.reload(path, 100, { registry })).toMatchObject({ rules: ['gas-rule'], loadedAt: 100 });
    const before = engine.info();

    for (const bad of [ONE_RULE('gas-company', 'soon'), ONE_RULE('gas-compnay', '10m'), 'version: 1\ndefaults: [\n']) {
      writeFileSync(path, bad);
      let error: RiskwatchError | undefined;
      try {
        engine.reload(path, 200, { registry });
      } catch (err) {
        error = err as RiskwatchError;
      }
      expect(error?.code).toBe('ERR_POLICY_INVALID');
      expect(error?.details).toMatchObject({ file: expect.stringMatching(/policy\.yaml$/), line: expect.any(Number) });
      expect(engine.info()).toEqual(before);
      expect(await engine.decide(facts(gasRed()))).toMatchObject({ department: 'gas-company', respondWithin: { ms: 10 * MINUTE }, rules: ['gas-rule'] });
    }

    writeFileSync(path, ONE_RULE('water-company', '20m'));
    expect(engine.reload(path, 300, { registry }).loadedAt).toBe(300);
    expect(await engine.decide(facts(gasRed()))).toMatchObject({ department: 'water-company' });
  });

  it('equal priorities: the rule written first wins a field both set; notify lists add up', async () => {
    const text = `${ONE_RULE('gas-company', '10m')}  - name: second-gas-rule
    when: { all: [ { fact: level, operator: in, value: [orange, red] } ] }
    then: { department: fire-station, tier: community, notify: [community, leadership] }
`;
    const engine = new DispatchPolicyEngine(parseDispatchPolicy(text, 'p.yaml'));
    expect(await engine.decide(facts(gasRed()))).toMatchObject({
      department: 'gas-company', tier: 'community', notify: ['leadership', 'community'], rules: ['gas-rule', 'second-gas-rule'],
    });
  });
});
