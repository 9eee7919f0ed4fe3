import { describe, expect, it } from 'vitest';
import type { InactivityScenario, ThresholdScenario } from '../../../src/models/index.js';
import { RiskwatchError } from '../../../src/core/errors.js';
import { parseScenario, type ScenarioIssue } from '../../../src/scenarios/loader.js';

const FILE = 'rules/test.yaml';

/** Parses `text`, expects ERR_SCENARIO_INVALID, and returns its details. */
function failure(text: string): { line: number; column: number; field?: string; file: string; errors: ScenarioIssue[] } {
  let caught: unknown;
  try {
    parseScenario(text, FILE);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RiskwatchError);
  const err = caught as RiskwatchError;
  expect(err.code).toBe('ERR_SCENARIO_INVALID');
  expect(err.statusCode).toBe(400);
  return err.details as never;
}

const fields = (issues: ScenarioIssue[]) => issues.map((i) => [i.field, i.line]);

const threshold = (extra = '', levels = '  red: "value >= 25"\n') =>
  `id: gas\nname: Gas\ncategory: gas\nmodel: threshold\nappliesTo:\n  deviceTypes: [gas_detector]\nmetric: gas_lel_pct\nlevels:\n${levels}${extra}`;
// line:  1        2         3             4                5            6                            7                    8

const inactivity = (levels: string, extra = '') =>
  `id: quiet\nname: Quiet\ncategory: elderly_care\nmodel: inactivity\nappliesTo:\n  deviceTypes: [water_meter]\nactive: "metrics.flow_lpm > 0.1"\nlevels:\n${levels}${extra}`;

describe('parseScenario: valid files', () => {
  it('fills every default for a minimal threshold scenario', () => {
    const s = parseScenario(threshold(), FILE) as ThresholdScenario;
    expect(s).toStrictEqual({
      id: 'gas', name: 'Gas', category: 'gas', model: 'threshold',
      appliesTo: { deviceTypes: ['gas_detector'] }, keyBy: 'device',
      alert: { cooldownMs: 0, flapping: { maxChanges: 6, windowMs: 3_600_000 } }, dispatch: true,
      metric: 'gas_lel_pct', levels: { red: 'value >= 25' }, for: {}, reset: {}, maxGapMs: 3_600_000, source: FILE,
    });
  });

  it('converts every duration to milliseconds and keeps partial flapping settings', () => {
    const s = parseScenario(
      inactivity('  yellow: 1h30m\n  orange: 1.5d\n  red: 2d\n', 'maxSilence: 500ms\nalert:\n  cooldown: 90s\n  flapping: { maxChanges: 3 }\ndispatch: false\nkeyBy: subject\n'),
      FILE,
    ) as InactivityScenario;
    expect(s.levels).toEqual({ yellow: 5_400_000, orange: 129_600_000, red: 172_800_000 });
    expect(s.maxSilenceMs).toBe(500);
    expect(s.alert).toEqual({ cooldownMs: 90_000, flapping: { maxChanges: 3, windowMs: 3_600_000 } });
    expect([s.dispatch, s.keyBy, s.activeHours]).toEqual([false, 'subject', undefined]);
  });

  it('accepts JSON too (JSON is YAML), e.g. a scenario posted to the API', () => {
    const json = JSON.stringify({ id: 'off', name: 'Off', category: 'device', model: 'offline', appliesTo: { deviceTypes: ['gas_meter'] }, levels: { blue: '2h' } });
    expect(parseScenario(json, 'api').levels).toEqual({ blue: 7_200_000 });
  });
});

describe('parseScenario: errors carry the file, line and field', () => {
  it('YAML syntax error: the line of the offending token, no field', () => {
    const d = failure('id: gas\nname: Gas\ncategory: gas: leak\nmodel: threshold\n');
    expect(d.file).toBe(FILE);
    expect(d.line).toBe(3);
    expect(d.field).toBeUndefined();
  });

  it('duplicate key: the line of the second occurrence', () => {
    const d = failure(threshold('model: offline\n'));
    expect(d.line).toBe(10);
  });

  it('an alias bomb is refused with ERR_SCENARIO_INVALID, not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    const d = failure(bomb);
    expect([d.file, d.line, d.field]).toEqual([FILE, 1, undefined]);
    expect((d.errors as { message: string }[])[0]!.message).toMatch(/alias/i);
  });

  it('empty file and multi-document file', () => {
    expect(failure('# nothing yet\n').line).toBe(1);
    expect(failure(`${threshold()}---\n${threshold()}`).line).toBe(10);
  });

  it('unknown model: field model at its line', () => {
    const d = failure(threshold().replace('model: threshold', 'model: rate'));
    expect([d.field, d.line]).toEqual(['model', 4]);
  });

  it('unknown level: field levels.<name> at its line', () => {
    const d = failure(threshold('', '  red: "value >= 25"\n  critical: "value >= 50"\n'));
    expect([d.field, d.line, d.column]).toEqual(['levels.critical', 10, 3]);
  });

  it('bad duration in `for`: field for.yellow at its line', () => {
    const d = failure(threshold('for:\n  red: 5 min\n'));
    expect([d.field, d.line, d.column]).toEqual(['for.red', 11, 8]);
  });

  it('bare number as a duration: field and line (the unit would be a guess)', () => {
    const d = failure(inactivity('  yellow: 8h\n  orange: 43200\n'));
    expect([d.field, d.line]).toEqual(['levels.orange', 10]);
  });

  it('bad duration in inactivity levels and maxSilence, bad time of day', () => {
    const d = failure(inactivity('  yellow: 8hours\n', 'maxSilence: 2 h\nactiveHours: { from: "6:00", to: "22:00" }\n'));
    expect(fields(d.errors)).toEqual([['levels.yellow', 9], ['maxSilence', 10], ['activeHours.from', 11]]);
  });

  it('CEL syntax error: field levels.red at its line', () => {
    const d = failure(threshold('', '  orange: "value >= 10"\n  red: "value >="\n'));
    expect([d.field, d.line, d.column]).toEqual(['levels.red', 10, 8]);
  });

  it('CEL syntax errors in reset, active and appliesTo.when', () => {
    const t = failure(threshold('reset:\n  red: "value <"\n'));
    expect([t.field, t.line]).toEqual(['reset.red', 11]);
    const i = failure(inactivity('  yellow: 8h\n').replace('"metrics.flow_lpm > 0.1"', '"metrics.flow_lpm >> 0.1"'));
    expect([i.field, i.line]).toEqual(['active', 7]);
    const w = failure(threshold().replace('  deviceTypes: [gas_detector]\n', '  deviceTypes: [gas_detector]\n  when: "subject.age >= (60"\n'));
    expect([w.field, w.line]).toEqual(['appliesTo.when', 7]);
  });

  it('a multi-line expression is reported at the line where its value starts', () => {
    const d = failure(threshold('', '  red: >-\n    value >= 25 &&\n    value <\n'));
    expect([d.field, d.line]).toEqual(['levels.red', 9]);
  });

  it('`value` without `metric`, readings in appliesTo.when, and non-bool conditions are load errors', () => {
    const noMetric = failure(threshold().replace('metric: gas_lel_pct\n', ''));
    expect([noMetric.field, noMetric.line]).toEqual(['levels.red', 8]);
    const readingInWhen = failure(threshold().replace('  deviceTypes: [gas_detector]\n', '  deviceTypes: [gas_detector]\n  when: "metrics.gas_lel_pct > 0"\n'));
    expect(readingInWhen.field).toBe('appliesTo.when');
    const notBool = failure(threshold('', '  red: "value + 1.0"\n'));
    expect([notBool.field, notBool.line]).toEqual(['levels.red', 9]);
    const typo = failure(inactivity('  yellow: 8h\n').replace('metrics.flow_lpm', 'metric.flow_lpm'));
    expect(typo.field).toBe('active');
  });

  it('`for` / `reset` on a level missing from levels: field for.<level>', () => {
    const d = failure(threshold('for:\n  yellow: 1m\nreset:\n  red: "value < 20"\n  orange: "value < 8"\n'));
    expect(fields(d.errors)).toEqual([['for.yellow', 11], ['reset.orange', 14]]);
  });

  it('inactivity levels that do not increase: the higher level is at fault', () => {
    const d = failure(inactivity('  yellow: 12h\n  orange: 8h\n  red: 12h\n'));
    expect(fields(d.errors)).toEqual([['levels.orange', 10]]);
    const equal = failure(inactivity('  orange: 12h\n  red: 720m\n'));
    expect(fields(equal.errors)).toEqual([['levels.red', 10]]);
  });

  it('offline levels that do not increase, and zero durations', () => {
    const off = failure('id: off\nname: Off\ncategory: device\nmodel: offline\nappliesTo: { deviceTypes: [gas_meter] }\nlevels:\n  blue: 6h\n  yellow: 2h\n');
    expect(fields(off.errors)).toEqual([['levels.yellow', 8]]);
    const zero = failure(inactivity('  yellow: 0s\n', 'maxSilence: 0m\n'));
    expect(fields(zero.errors)).toEqual([['levels.yellow', 9], ['maxSilence', 10]]);
  });

  it('unknown top-level field: field name at the line of its key', () => {
    const d = failure(threshold('severity: high\n'));
    expect([d.field, d.line, d.column]).toEqual(['severity', 10, 1]);
  });

  it('a field of another model: reported at its key', () => {
    const d = failure(threshold('active: "true"\nmaxSilence: 1h\n'));
    expect(fields(d.errors)).toEqual([['active', 10], ['maxSilence', 11]]);
    const off = failure(inactivity('  yellow: 8h\n', 'for:\n  yellow: 1m\n').replace('model: inactivity', 'model: offline').replace('active: "metrics.flow_lpm > 0.1"\n', ''));
    expect(fields(off.errors)).toEqual([['for', 9]]);
  });

  it('missing required fields, including the model-specific `active`', () => {
    const d = failure('id: quiet\nname: Quiet\nmodel: inactivity\nappliesTo:\n  deviceTypes: [water_meter]\nlevels: { yellow: 8h }\n');
    expect(d.errors.map((i) => i.field).sort()).toEqual(['active', 'category']);
    const noTypes = failure(threshold().replace('  deviceTypes: [gas_detector]\n', '  deviceTypes: []\n'));
    expect([noTypes.field, noTypes.line]).toEqual(['appliesTo.deviceTypes', 6]);
  });

  it('wrong device type and type errors point at the element', () => {
    const d = failure(threshold().replace('[gas_detector]', '[gas_detector, fridge]'));
    expect([d.field, d.line, d.column]).toEqual(['appliesTo.deviceTypes[1]', 6, 31]);
    const levelsList = failure(threshold('', '  - "value >= 25"\n'));
    expect([levelsList.field, levelsList.line]).toEqual(['levels', 8]);
  });

  it('reports every error of a file, first by line in the top-level details', () => {
    const d = failure(
      'id: Bad_Id\nname: Gas\ncategory: gas\nmodel: threshold\nappliesTo:\n  deviceTypes: [gas_detector]\nmetric: gas_lel_pct\n' +
        'levels:\n  red: "value >="\n  critical: "value > 1"\nfor:\n  orange: 1m\n  red: soon\nbogus: true\n',
    );
    expect(fields(d.errors)).toEqual([['id', 1], ['levels.red', 9], ['levels.critical', 10], ['for.orange', 12], ['for.red', 13], ['bogus', 14]]);
    expect([d.field, d.line]).toEqual(['id', 1]);
    expect(d.errors.every((i) => i.file === FILE && i.message.length > 0)).toBe(true);
  });
});
