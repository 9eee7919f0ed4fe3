import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import type { Detection } from '../../../src/contracts/detection.js';
import type { DeviceContext, EnrichedReading } from '../../../src/contracts/registry.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { detectRisks } from '../../../src/engine/detect-risks.js';
import { compileScenario, type CompiledScenario } from '../../../src/scenarios/compile.js';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const threshold = (id: string, type: string, metric: string, when?: string) =>
  parseScenario(
    `id: ${id}\nname: ${id}\ncategory: device\nmodel: threshold\nappliesTo:\n  deviceTypes: [${type}]\n${when ? `  when: "${when}"\n` : ''}` +
      `metric: ${metric}\nlevels:\n  red: "value > 100"\n`,
    `${id}.yaml`,
  );

/**
 * The detect stage on real compiled scenarios: a threshold model reports a key's first reading
 * ("ok"), so the detections of one reading name the scenarios that ran on it.
 */
function harness(extra: CompiledScenario[] = []) {
  const modelOutput = new Subject<Detection>();
  const emit = (d: Detection) => modelOutput.next(d);
  const deps = { scheduler: new ManualScheduler(0), emit };
  const scenarios = [
    compileScenario(threshold('gas', 'gas_detector', 'gas_lel_pct'), deps),
    compileScenario(threshold('water-any', 'water_meter', 'flow_lpm'), deps),
    compileScenario(threshold('water-alone', 'water_meter', 'flow_lpm', 'subject.livingAlone'), deps),
    ...extra,
  ];
  const readings = new Subject<EnrichedReading>();
  const seen: string[] = [];
  const errors: Error[] = [];
  readings.pipe(detectRisks(scenarios, modelOutput, (err) => errors.push(err))).subscribe((d) => seen.push(d.scenarioId));
  let ts = 0;
  const ran = (ctx: DeviceContext): string[] => {
    seen.length = 0;
    readings.next(makeReading(ctx, ++ts, ctx.device.type === 'gas_detector' ? { gas_lel_pct: 1 } : { flow_lpm: 1 }));
    return [...seen].sort();
  };
  return { ran, errors };
}

describe('detect stage: which scenarios run on a reading', () => {
  it('runs the scenarios of the device type, and a subject-filtered one only for the devices it covers', () => {
    const { ran } = harness();
    const gas = makeContext({ deviceId: 'gd-1', type: 'gas_detector', subject: { id: 'hh-1' } });
    const alone = makeContext({ deviceId: 'wm-1', type: 'water_meter', subject: { id: 'hh-1', livingAlone: true } });
    const family = makeContext({ deviceId: 'wm-2', type: 'water_meter', subject: { id: 'hh-2', livingAlone: false } });
    expect(ran(gas)).toEqual(['gas']);
    expect(ran(alone)).toEqual(['water-alone', 'water-any']);
    expect(ran(family)).toEqual(['water-any']);
    // A second gas detector shares the type's list; nothing is decided per device for it.
    expect(ran(makeContext({ deviceId: 'gd-2', type: 'gas_detector' }))).toEqual(['gas']);
    expect(ran(makeContext({ deviceId: 'ds-1', type: 'door_sensor' }))).toEqual([]);
  });

  it('decides again for a device whose context the registry rebuilt (the household now lives alone)', () => {
    const { ran } = harness();
    expect(ran(makeContext({ deviceId: 'wm-2', type: 'water_meter', subject: { id: 'hh-2', livingAlone: false } }))).toEqual(['water-any']);
    // The same device, new context: its existing key reports nothing new for water-any; water-alone starts.
    expect(ran(makeContext({ deviceId: 'wm-2', type: 'water_meter', subject: { id: 'hh-2', livingAlone: true } }))).toEqual(['water-alone']);
  });

  it('keeps the other scenarios running when one of them throws', () => {
    const broken: CompiledScenario = {
      scenario: threshold('broken', 'gas_detector', 'gas_lel_pct'),
      appliesTo: (ctx) => ctx.device.type === 'gas_detector',
      model: {
        onReading: () => { throw new Error('model bug'); }, size: 0, snapshot: () => [], restore: () => 0, dispose: () => undefined,
        takeChanged: () => ({ length: 0, read: () => undefined, putBack: () => undefined }),
      },
    };
    const { ran, errors } = harness([broken]);
    expect(ran(makeContext({ deviceId: 'gd-1', type: 'gas_detector' }))).toEqual(['gas']);
    expect(errors.map((e) => e.message)).toEqual(['model bug']);
  });
});
