import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DeviceContext, EnrichedReading } from '../../../src/contracts/registry.js';
import type { Scenario } from '../../../src/contracts/scenario.js';
import type { InactivityScenario, ThresholdScenario } from '../../../src/models/index.js';
import { assertScenarios, loadScenarioDir } from '../../../src/scenarios/loader.js';
import { compileContextPredicate, compileReadingPredicate } from '../../../src/core/expression.js';
import { activityCondition } from '../../../src/catalogue/device-catalogue.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const DEFAULT_ALERT = { cooldownMs: 0, flapping: { maxChanges: 6, windowMs: H } };

const ELDERLY_ALONE = 'subject.livingAlone && has(subject.age) && subject.age >= 60';
const FALL_OR_SOS = '(has(metrics.fall_detected) && metrics.fall_detected == true) || (has(metrics.sos_pressed) && metrics.sos_pressed == true)';

/** The production scenarios, normalised: what `rules/*.yaml` must load to. */
const shipped: Record<string, Omit<Scenario, 'source' | 'description' | 'name'>> = {
  'door-not-opened': {
    id: 'door-not-opened', category: 'elderly_care', model: 'inactivity',
    appliesTo: { deviceTypes: ['door_sensor'], when: ELDERLY_ALONE }, keyBy: 'subject',
    active: 'has(metrics.door_open) && metrics.door_open == true',
    levels: { yellow: 24 * H, orange: 36 * H, red: 48 * H }, maxSilenceMs: 6 * H,
    alert: DEFAULT_ALERT, dispatch: true,
  } as InactivityScenario,
  'elderly-fall-alarm': {
    id: 'elderly-fall-alarm', category: 'elderly_care', model: 'threshold',
    appliesTo: { deviceTypes: ['fall_detector'] }, keyBy: 'device',
    levels: { red: FALL_OR_SOS }, for: {}, maxGapMs: H,
    reset: { red: 'has(metrics.resident_ok) && metrics.resident_ok == true' },
    alert: DEFAULT_ALERT, dispatch: true,
  } as ThresholdScenario,
  'elderly-no-power-use': {
    id: 'elderly-no-power-use', category: 'elderly_care', model: 'inactivity',
    appliesTo: { deviceTypes: ['electricity_meter'], when: ELDERLY_ALONE }, keyBy: 'subject',
    active: 'metrics.power_w > 100',
    levels: { yellow: 12 * H, orange: 16 * H, red: 24 * H },
    activeHours: { from: '06:00', to: '22:00' }, maxSilenceMs: 2 * H,
    alert: DEFAULT_ALERT, dispatch: true,
  } as InactivityScenario,
  'elderly-no-water': {
    id: 'elderly-no-water', category: 'elderly_care', model: 'inactivity',
    appliesTo: { deviceTypes: ['water_meter'], when: ELDERLY_ALONE }, keyBy: 'subject',
    active: 'metrics.flow_lpm > 0.1',
    levels: { yellow: 8 * H, orange: 12 * H, red: 24 * H },
    activeHours: { from: '06:00', to: '22:00' }, maxSilenceMs: 2 * H,
    alert: DEFAULT_ALERT, dispatch: true,
  } as InactivityScenario,
  'gas-concentration': {
    id: 'gas-concentration', category: 'gas', model: 'threshold',
    appliesTo: { deviceTypes: ['gas_detector'] }, keyBy: 'device', metric: 'gas_lel_pct',
    levels: { yellow: 'value >= 5', orange: 'value >= 10', red: 'value >= 25' },
    for: { yellow: M }, reset: { orange: 'value < 8', red: 'value < 20' }, maxGapMs: H,
    alert: { cooldownMs: 5 * M, flapping: { maxChanges: 6, windowMs: H } }, dispatch: true,
  } as ThresholdScenario,
  'meter-offline': {
    id: 'meter-offline', category: 'device', model: 'offline',
    appliesTo: { deviceTypes: ['water_meter', 'gas_meter'] }, keyBy: 'device',
    levels: { blue: 2 * H, yellow: 6 * H }, alert: DEFAULT_ALERT, dispatch: true,
  },
  'smoke-alarm': {
    id: 'smoke-alarm', category: 'fire', model: 'threshold',
    appliesTo: { deviceTypes: ['smoke_detector'] }, keyBy: 'device',
    levels: {
      orange: 'has(metrics.smoke_obscuration_pct_per_m) && metrics.smoke_obscuration_pct_per_m >= 1.5',
      red: 'has(metrics.smoke_alarm) && metrics.smoke_alarm == true',
    },
    for: { orange: M }, maxGapMs: H,
    reset: {
      orange: 'has(metrics.smoke_obscuration_pct_per_m) && metrics.smoke_obscuration_pct_per_m < 1.0',
      red: 'has(metrics.smoke_alarm) && metrics.smoke_alarm == false',
    },
    alert: DEFAULT_ALERT, dispatch: true,
  } as ThresholdScenario,
  'water-running-continuously': {
    id: 'water-running-continuously', category: 'water', model: 'threshold',
    appliesTo: { deviceTypes: ['water_meter'] }, keyBy: 'device', metric: 'flow_lpm',
    levels: { yellow: 'value > 0.5', orange: 'value > 0.5' }, for: { yellow: 2 * H, orange: 6 * H }, maxGapMs: H,
    reset: { yellow: 'value < 0.2', orange: 'value < 0.2' }, alert: DEFAULT_ALERT, dispatch: true,
  } as ThresholdScenario,
};

/** Demo timings differ only where the demo needs alerts within a minute. */
const demo: Record<string, Omit<Scenario, 'source' | 'description' | 'name'>> = {
  ...shipped,
  'door-not-opened': { ...shipped['door-not-opened'], levels: { yellow: 25 * S, orange: 40 * S, red: 55 * S }, maxSilenceMs: 30 * S } as InactivityScenario,
  'elderly-no-water': (() => {
    const { activeHours: _none, ...rest } = shipped['elderly-no-water'] as InactivityScenario;
    return { ...rest, levels: { yellow: 20 * S, orange: 30 * S, red: 45 * S }, maxSilenceMs: 30 * S };
  })(),
  'elderly-no-power-use': (() => {
    const { activeHours: _none, ...rest } = shipped['elderly-no-power-use'] as InactivityScenario;
    return { ...rest, levels: { yellow: 20 * S, orange: 30 * S, red: 45 * S }, maxSilenceMs: 30 * S };
  })(),
  'meter-offline': { ...shipped['meter-offline'], levels: { blue: 25 * S, yellow: 40 * S } } as Scenario,
  'water-running-continuously': { ...shipped['water-running-continuously'], for: { yellow: 15 * S, orange: 30 * S } } as ThresholdScenario,
};

function expectNormalised(dir: string, scenarios: Scenario[], expected: Record<string, object>): void {
  expect(scenarios.map((s) => s.id)).toEqual(Object.keys(expected).sort());
  for (const scenario of scenarios) {
    const { source, description, name, ...rest } = scenario;
    expect(rest).toStrictEqual(expected[scenario.id]);
    expect(source).toBe(`${dir}/${scenario.id}.yaml`);
    expect(name.length).toBeGreaterThan(5);
    expect(description?.length ?? 0).toBeGreaterThan(20);
  }
}

function reading(metrics: Record<string, number | boolean>): EnrichedReading {
  const ctx = { celView: { device: {}, subject: {}, place: {} } } as unknown as DeviceContext;
  return { deviceId: 'd1', ts: 0, receivedAt: 0, metrics, ctx };
}

function context(subject: Record<string, unknown>): DeviceContext {
  return { celView: { device: { id: 'd1' }, subject, place: {} } } as unknown as DeviceContext;
}

/** Highest level whose raise condition holds for one reading (ignoring `for`), as the threshold model checks them. */
function levelOf(scenario: ThresholdScenario, metrics: Record<string, number | boolean>): string {
  const r = reading(metrics);
  for (const level of ['red', 'orange', 'yellow', 'blue'] as const) {
    const expr = scenario.levels[level];
    if (expr && compileReadingPredicate(expr)(r, scenario.metric ? metrics[scenario.metric] : undefined)) return level;
  }
  return 'ok';
}

describe('shipped scenarios in rules/', () => {
  const result = loadScenarioDir('rules');
  const byId = new Map(result.scenarios.map((s) => [s.id, s]));

  it('load without errors and normalise to milliseconds and defaults', () => {
    expect(result.errors.map((e) => e.message)).toEqual([]);
    expectNormalised('rules', assertScenarios(result), shipped);
  });

  it('grade gas concentration at 5 / 10 / 25 %LEL', () => {
    const gas = byId.get('gas-concentration') as ThresholdScenario;
    const levels = [0, 4.9, 5, 9.9, 10, 24.9, 25, 60].map((v) => levelOf(gas, { gas_lel_pct: v }));
    expect(levels).toEqual(['ok', 'ok', 'yellow', 'yellow', 'orange', 'orange', 'red', 'red']);
    // Hysteresis: orange is left below 8, not below 10.
    const resetOrange = compileReadingPredicate(gas.reset.orange!);
    expect([9, 8, 7.9].map((v) => resetOrange(reading({ gas_lel_pct: v }), v))).toEqual([false, false, true]);
  });

  it('count a running tap but not a trickle, and reset only well below the raise threshold', () => {
    const water = byId.get('water-running-continuously') as ThresholdScenario;
    // Both levels share the condition (only `for` differs), so any flow above 0.5 satisfies orange's.
    expect([0, 0.3, 0.5, 0.6, 6.5].map((v) => levelOf(water, { flow_lpm: v }))).toEqual(['ok', 'ok', 'ok', 'orange', 'orange']);
    const reset = compileReadingPredicate(water.reset.yellow!);
    expect([0.5, 0.2, 0.1].map((v) => reset(reading({ flow_lpm: v }), v))).toEqual([false, false, true]);
  });

  it('raise red on a smoke alarm, orange on pre-alarm obscuration, and never clear on a heartbeat without the flag', () => {
    const smoke = byId.get('smoke-alarm') as ThresholdScenario;
    expect(levelOf(smoke, { smoke_alarm: true, smoke_obscuration_pct_per_m: 12 })).toBe('red');
    expect(levelOf(smoke, { smoke_alarm: false, smoke_obscuration_pct_per_m: 2 })).toBe('orange');
    expect(levelOf(smoke, { smoke_alarm: false, smoke_obscuration_pct_per_m: 0.1 })).toBe('ok');
    expect(levelOf(smoke, { smoke_alarm: true })).toBe('red'); // a detector without the obscuration metric
    expect(levelOf(smoke, { battery_pct: 80 })).toBe('ok');
    const resetRed = compileReadingPredicate(smoke.reset.red!);
    expect(resetRed(reading({ battery_pct: 80 }))).toBe(false);
    expect(resetRed(reading({ smoke_alarm: false }))).toBe(true);
  });

  it('treat a dripping tap as no water use, and a flush averaged over a 15-minute report as use', () => {
    const elderly = byId.get('elderly-no-water') as InactivityScenario;
    const active = compileReadingPredicate(elderly.active);
    expect(active(reading({ flow_lpm: 0 }))).toBe(false);
    expect(active(reading({ flow_lpm: 0.015 }))).toBe(false); // fast drip, ~20 L/day
    expect(active(reading({ flow_lpm: 6 / 15 }))).toBe(true); // one 6 L flush in a 15-min interval
    expect(active(reading({ flow_lpm: 6.5 }))).toBe(true);
  });

  it('watch only residents aged 60+ living alone, and skip subjects without an age instead of failing', () => {
    for (const id of ['elderly-no-water', 'door-not-opened', 'elderly-no-power-use']) {
      const errors: Error[] = [];
      const when = compileContextPredicate(byId.get(id)!.appliesTo.when!, (err) => errors.push(err));
      expect(when(context({ livingAlone: true, age: 72 }))).toBe(true);
      expect(when(context({ livingAlone: true, age: 60 }))).toBe(true);
      expect(when(context({ livingAlone: true, age: 59 }))).toBe(false);
      expect(when(context({ livingAlone: false, age: 80 }))).toBe(false);
      expect(when(context({ livingAlone: true }))).toBe(false);
      expect(errors).toEqual([]);
    }
  });

  it('raise red on a fall or an SOS, and leave it only on the wearer\'s own confirmation, never on a heartbeat', () => {
    const fall = byId.get('elderly-fall-alarm') as ThresholdScenario;
    expect(levelOf(fall, { fall_detected: true, sos_pressed: false, heart_rate_bpm: 110 })).toBe('red');
    expect(levelOf(fall, { fall_detected: false, sos_pressed: true })).toBe('red');
    expect(levelOf(fall, { sos_pressed: true })).toBe('red'); // an SOS message without the fall flag
    expect(levelOf(fall, { fall_detected: false, sos_pressed: false, heart_rate_bpm: 72, worn: true, battery_pct: 80 })).toBe('ok');
    expect(levelOf(fall, { battery_pct: 80 })).toBe('ok');
    const errors: Error[] = [];
    const resetRed = compileReadingPredicate(fall.reset.red!, (err) => errors.push(err));
    expect(resetRed(reading({ fall_detected: false, sos_pressed: false, heart_rate_bpm: 72, worn: true }))).toBe(false); // a heartbeat
    expect(resetRed(reading({ resident_ok: false }))).toBe(false);
    expect(resetRed(reading({ resident_ok: true }))).toBe(true);
    expect(errors).toEqual([]); // a heartbeat without resident_ok is no expression error
  });

  it('count power above standby as use, as the device catalogue defines the electricity meter\'s activity', () => {
    const power = byId.get('elderly-no-power-use') as InactivityScenario;
    expect(power.active).toBe(activityCondition('electricity_meter'));
    const active = compileReadingPredicate(power.active);
    expect(active(reading({ power_w: 45 }))).toBe(false); // fridge and standby
    expect(active(reading({ power_w: 100 }))).toBe(false);
    expect(active(reading({ power_w: 120 }))).toBe(true); // a kettle boiled for a minute of the 15
    expect(active(reading({ power_w: 1500 }))).toBe(true);
  });

  it('count a door as used only when it reports open', () => {
    const door = byId.get('door-not-opened') as InactivityScenario;
    const active = compileReadingPredicate(door.active);
    const samples: Record<string, number | boolean>[] = [{ door_open: true }, { door_open: false }, { battery_pct: 90 }];
    expect(samples.map((m) => active(reading(m)))).toEqual([true, false, false]);
  });
});

describe('demo scenarios in rules/demo/', () => {
  const result = loadScenarioDir('rules/demo');
  const scenarios = result.scenarios;

  it('load without errors and differ from rules/ only in their timings', () => {
    expect(result.errors.map((e) => e.message)).toEqual([]);
    expectNormalised('rules/demo', assertScenarios(result), demo);
  });

  it('cover the same ids as rules/ and are marked demo-only', () => {
    expect(scenarios.map((s) => s.id)).toEqual(Object.keys(shipped).sort());
    for (const name of readdirSync('rules/demo').filter((n) => n.endsWith('.yaml'))) expect(readFileSync(`rules/demo/${name}`, 'utf8')).toMatch(/^# .*\n# DEMO ONLY/);
  });

  it('reach every time-based level within 60 s', () => {
    for (const s of scenarios) {
      const times = s.model === 'threshold' ? Object.values(s.for) : Object.values(s.levels);
      expect({ id: s.id, longest: Math.max(0, ...times) <= 60 * S }).toEqual({ id: s.id, longest: true });
    }
  });
});
