import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../src/contracts/detection.js';
import type { Scenario } from '../../../src/contracts/scenario.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { createModel } from '../../../src/models/index.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const base = {
  name: 'test', category: 'test', keyBy: 'device' as const, dispatch: false,
  alert: { cooldownMs: 0, flapping: { maxChanges: 5, windowMs: 60_000 } },
};

const scenarios: Scenario[] = [
  { ...base, id: 't', model: 'threshold', appliesTo: { deviceTypes: ['gas_detector'] }, metric: 'gas_lel_pct', levels: { red: 'value > 20' }, for: {}, reset: {}, maxGapMs: 3_600_000 },
  { ...base, id: 'i', model: 'inactivity', appliesTo: { deviceTypes: ['gas_detector'] }, active: 'metrics.gas_lel_pct > 50', levels: { yellow: 1_000 }, maxSilenceMs: 10_000 },
  { ...base, id: 'o', model: 'offline', appliesTo: { deviceTypes: ['gas_detector'] }, levels: { yellow: 1_000 } },
];

describe('createModel', () => {
  it('builds the model its scenario names', () => {
    const scheduler = new ManualScheduler(0);
    const detections: Detection[] = [];
    const models = scenarios.map((s) => createModel(s, { scheduler, emit: (d) => detections.push(d) }));
    const ctx = makeContext({ deviceId: 'gd-1', type: 'gas_detector' });
    for (const model of models) model.onReading(makeReading(ctx, 0, { gas_lel_pct: 30 }));
    scheduler.advanceTo(5_000);
    // threshold: red at once; inactivity: 30 is no activity, yellow after 1s; offline: ok, then yellow after 1s.
    expect(detections.map((d) => `${d.scenarioId}:${d.verdict}@${d.eventTime}`).sort()).toEqual(['i:yellow@1000', 'o:ok@0', 'o:yellow@1000', 't:red@0']);
    for (const model of models) model.dispose();
  });

  it('reports expressions that fail on a reading and treats them as false', () => {
    const errors: Error[] = [];
    const detections: Detection[] = [];
    const scenario: Scenario = { ...base, id: 'co', model: 'threshold', appliesTo: { deviceTypes: ['gas_detector'] }, levels: { red: 'metrics.co_ppm > 50' }, for: {}, reset: {}, maxGapMs: 3_600_000 };
    const model = createModel(scenario, { scheduler: new ManualScheduler(0), emit: (d) => detections.push(d) }, (err) => errors.push(err));
    const ctx = makeContext({ deviceId: 'gd-1', type: 'gas_detector' });
    model.onReading(makeReading(ctx, 0, { gas_lel_pct: 3 }));
    model.onReading(makeReading(ctx, 1_000, { co_ppm: 80 }));
    expect(errors).toHaveLength(1);
    expect(detections.map((d) => d.verdict)).toEqual(['ok', 'red']);
  });

  it('rejects an unknown model kind with ERR_SCENARIO_INVALID', () => {
    const bogus = { ...scenarios[2], model: 'rate' } as unknown as Scenario;
    expect(() => createModel(bogus, { scheduler: new ManualScheduler(0), emit: () => undefined }))
      .toThrow(expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' }));
  });
});
