import { describe, expect, it } from 'vitest';
import type { ScenarioDocument } from '../../../src/contracts/model.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { MODEL_KINDS, MODEL_NAMES } from '../../../src/models/model-kinds.js';
import { KeyedStates, type KeyedState } from '../../../src/models/keyed-states.js';
import { MODEL_FIELDS, scenarioSchema } from '../../../src/scenarios/schema.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

describe('the model registry', () => {
  it('is where the scenario schema comes from: every kind has its branch, its fields, and only its fields', () => {
    const branches = scenarioSchema.allOf as Array<{ if: { properties: { model: { const: string } } }; then: { properties: Record<string, unknown>; required?: string[] } }>;
    expect(scenarioSchema.properties.model.enum).toEqual(MODEL_NAMES);
    expect(branches.map((b) => b.if.properties.model.const)).toEqual(MODEL_NAMES);
    for (const [i, kind] of MODEL_NAMES.entries()) {
      const definition = MODEL_KINDS[kind];
      expect(scenarioSchema.properties.model.description).toContain(definition.summary);
      for (const [field, schema] of Object.entries(definition.fields)) {
        expect(scenarioSchema.properties[field]).toEqual(schema);
        expect(typeof (schema as { description?: unknown }).description).toBe('string');
      }
      for (const [field, value] of Object.entries(definition.defaults)) expect(scenarioSchema.properties[field].default).toBe(value);
      const branch = branches[i]!.then;
      expect(branch.required ?? []).toEqual([...(definition.required ?? [])]);
      const others = MODEL_NAMES.filter((k) => k !== kind).flatMap((k) => MODEL_FIELDS[k]);
      for (const field of others) expect(branch.properties[field]).toBe(false);
      for (const field of MODEL_FIELDS[kind]) expect(branch.properties[field]).toBeUndefined();
    }
    const all = MODEL_NAMES.flatMap((k) => MODEL_FIELDS[k]);
    expect(new Set(all).size).toBe(all.length); // a field belongs to one kind
  });

  it('normalises and runs a minimal file of every kind through its own definition', () => {
    const files: Record<string, ScenarioDocument> = {
      threshold: { model: 'threshold', levels: { red: 'metrics.gas_lel_pct > 20' } },
      inactivity: { model: 'inactivity', active: 'metrics.flow_lpm > 0.1', levels: { yellow: '2h' } },
      offline: { model: 'offline', levels: { yellow: '2h' } },
    };
    const common = {
      id: 'x', name: 'x', category: 'x', appliesTo: { deviceTypes: ['water_meter'] }, keyBy: 'device' as const,
      alert: { cooldownMs: 0, flapping: { maxChanges: 6, windowMs: 3_600_000 } }, dispatch: false,
    };
    for (const kind of MODEL_NAMES) {
      const definition = MODEL_KINDS[kind];
      const doc = files[kind]!;
      expect(definition.check(doc)).toEqual([]);
      const scenario = { ...common, model: kind, ...definition.normalise(doc) };
      const detections: string[] = [];
      const model = (definition.create as (s: unknown, deps: unknown) => ReturnType<typeof definition.create>)(scenario, {
        scheduler: new ManualScheduler(0), emit: (d: { verdict: string }) => detections.push(d.verdict),
      });
      model.onReading(makeReading(makeContext({ deviceId: 'wm-1', type: 'water_meter' }), 0, { flow_lpm: 0, gas_lel_pct: 0 }));
      expect(model.size).toBe(1);
      model.dispose();
      expect(model.size).toBe(0);
    }
  });
});

describe('KeyedStates, the skeleton every model shares', () => {
  interface Counter extends KeyedState {
    count: number;
  }

  function counterModel(scheduler: ManualScheduler, fired: string[]) {
    const keyed: KeyedStates<Counter> = new KeyedStates<Counter>(scheduler, (state, now) => fired.push(`${state.key}@${now}`), {
      toJson: (s) => ({ count: s.count }),
      fromJson: (key, json) => (typeof json.count === 'number' ? { key, count: json.count, dueAt: 0, heapIndex: -1, listed: 0 } : undefined),
      rearm: (state) => keyed.timers.arm(state, scheduler.now() + 1_000 * state.count),
    });
    const model = keyed.model((reading) => {
      let state = keyed.map.get(reading.deviceId);
      if (!state) keyed.map.set(reading.deviceId, (state = { key: reading.deviceId, count: 0, dueAt: 0, heapIndex: -1, listed: 0 }));
      state.count++;
    });
    return { keyed, model };
  }

  it('snapshots every key, restores them into a fresh model with their timers, and skips what it cannot read', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const first = counterModel(scheduler, fired);
    const ctx = (id: string) => makeContext({ deviceId: id, type: 'water_meter' });
    for (const id of ['a', 'a', 'b']) first.model.onReading(makeReading(ctx(id), 0, { flow_lpm: 0 }));
    const snapshot = first.model.snapshot();
    expect(snapshot).toEqual([{ key: 'a', state: { count: 2 } }, { key: 'b', state: { count: 1 } }]);

    const second = counterModel(scheduler, fired);
    second.model.onReading(makeReading(ctx('b'), 0, { flow_lpm: 0 })); // b already holds state: kept
    const restored = second.model.restore([...snapshot, { key: 'c', state: { count: 'x' } }], () => undefined);
    expect(restored).toBe(1); // a only: b was there, c is unreadable
    expect(second.model.size).toBe(2);
    scheduler.advanceTo(5_000);
    expect(fired).toEqual(['a@2000']); // restored keys get their timers back
  });

  it('takes no reading and fires no timer once disposed', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const { keyed, model } = counterModel(scheduler, fired);
    model.onReading(makeReading(makeContext({ deviceId: 'a', type: 'water_meter' }), 0, { flow_lpm: 0 }));
    keyed.timers.arm(keyed.map.get('a')!, 1_000);
    model.dispose();
    model.onReading(makeReading(makeContext({ deviceId: 'b', type: 'water_meter' }), 0, { flow_lpm: 0 }));
    scheduler.advanceTo(10_000);
    expect(model.size).toBe(0);
    expect(fired).toEqual([]);
    expect(model.restore([{ key: 'a', state: { count: 1 } }], () => undefined)).toBe(0);
  });
});
