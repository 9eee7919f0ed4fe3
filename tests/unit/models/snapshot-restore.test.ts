import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../src/contracts/detection.js';
import type { ThresholdScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { createThresholdModel } from '../../../src/models/threshold.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const tap: ThresholdScenario = {
  id: 'water-running', name: 'Water running', category: 'water', model: 'threshold', appliesTo: { deviceTypes: ['water_meter'] },
  keyBy: 'device', alert: { cooldownMs: 0, flapping: { maxChanges: 6, windowMs: 3_600_000 } }, dispatch: true,
  metric: 'flow_lpm', levels: { orange: 'value > 0.5', yellow: 'value > 0.5' }, for: { yellow: 7_200_000, orange: 21_600_000 }, reset: {}, maxGapMs: 3_600_000,
};
const meter = makeContext({ deviceId: 'wm-1', type: 'water_meter', subject: { id: 'hh-1' } });
const MIN = 60_000;

function model(clock: ManualScheduler) {
  const detections: Detection[] = [];
  const m = createThresholdModel(tap, { scheduler: clock, emit: (d) => detections.push(d) });
  return { m, detections };
}

describe('threshold model snapshot', () => {
  it('carries a running `for` duration across a restart (through JSON), so the level comes on time', () => {
    const clock = new ManualScheduler(0);
    const before = model(clock);
    for (let t = 0; t <= 60 * MIN; t += 15 * MIN) {
      clock.advanceTo(t);
      before.m.onReading(makeReading(meter, t, { flow_lpm: 6 }));
    }
    const snapshot = JSON.parse(JSON.stringify(before.m.snapshot())); // as the store keeps it
    before.m.dispose();

    const after = new ManualScheduler(75 * MIN);
    const resumed = model(after);
    expect(resumed.m.restore(snapshot, (id) => (id === 'wm-1' ? meter : undefined))).toBe(1);
    for (let t = 75 * MIN; t <= 120 * MIN; t += 15 * MIN) {
      after.advanceTo(t);
      resumed.m.onReading(makeReading(meter, t, { flow_lpm: 6 }));
    }
    // Running since 0: yellow at 2 h, as without the restart (and no second 'ok' first verdict).
    expect(resumed.detections.map((d) => `${d.verdict}@${d.eventTime}`)).toEqual([`yellow@${120 * MIN}`]);
    expect(resumed.detections[0]!.evidence.facts).toMatchObject({ since: 0 });
  });

  it('drops entries of devices the registry no longer knows', () => {
    const clock = new ManualScheduler(0);
    const before = model(clock);
    before.m.onReading(makeReading(meter, 0, { flow_lpm: 6 }));
    const resumed = model(clock);
    expect(resumed.m.restore(before.m.snapshot(), () => undefined)).toBe(0);
    expect(resumed.m.size).toBe(0);
  });
});
