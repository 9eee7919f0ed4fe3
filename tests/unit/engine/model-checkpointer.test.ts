import { afterEach, describe, expect, it } from 'vitest';
import type { ChangedKeys, SnapshotEntry } from '../../../src/contracts/model.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { ModelCheckpointer, type CheckpointBudget } from '../../../src/engine/model-checkpointer.js';
import { openDatabase } from '../../../src/store/database.js';
import { Store } from '../../../src/store/store.js';

/** A model whose keys are counters; `change(key)` changes one and marks it dirty, as a reading would. */
function counterModel() {
  const counts = new Map<string, number>();
  let dirty = new Set<string>();
  return {
    counts,
    change(key: string) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      dirty.add(key);
    },
    takeChanged(): ChangedKeys {
      const taken = [...dirty];
      dirty = new Set();
      return {
        length: taken.length,
        read: (i) => {
          dirty.delete(taken[i]!); // read now: a later change lists it again
          return { key: taken[i]!, state: { count: counts.get(taken[i]!) } };
        },
        putBack: (from) => taken.slice(from).forEach((k) => dirty.add(k)),
      };
    },
  };
}

function rig(options: { intervalMs?: number; budget?: Partial<CheckpointBudget> } = {}) {
  const store = new Store(openDatabase(':memory:'));
  const clock = new ManualScheduler(1_000);
  const model = counterModel();
  store.modelStates.adopt('s', 'v1');
  const yields: Array<() => void> = [];
  const errors: Error[] = [];
  const checkpointer = new ModelCheckpointer({
    models: [{ scenarioId: 's', model }], store, scheduler: clock, intervalMs: options.intervalMs ?? 5_000,
    ...(options.budget ? { budget: options.budget } : {}),
    yieldTo: (next) => yields.push(next), onError: (err) => errors.push(err),
  });
  /** Runs the yielded slices one by one; returns how many ran. */
  const drain = () => {
    let n = 0;
    while (yields.length > 0) {
      yields.shift()!();
      n++;
    }
    return n;
  };
  const stored = (): Record<string, unknown> => Object.fromEntries([...store.modelStates.load('s')].map((e: SnapshotEntry) => [e.key, e.state.count]));
  return { store, clock, model, checkpointer, drain, yields, stored, errors };
}

describe('ModelCheckpointer', () => {
  const open: Store[] = [];
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
  });

  it('writes the changed keys every interval, each key once however often it changed, and only those', () => {
    const r = rig();
    open.push(r.store);
    r.checkpointer.start();
    for (let i = 0; i < 5; i++) r.model.change('a');
    r.model.change('b');
    r.clock.advanceTo(5_999);
    expect(r.stored()).toEqual({});
    r.clock.advanceTo(6_000); // one interval after start
    r.drain();
    expect(r.stored()).toEqual({ a: 5, b: 1 });
    expect(r.checkpointer.stats).toMatchObject({ passes: 1, keys: 2, last: { at: 6_000, keys: 2 } });

    r.model.change('b');
    r.clock.advanceTo(11_000);
    r.drain();
    expect(r.stored()).toEqual({ a: 5, b: 2 }); // overwritten, not appended; a untouched
    expect(r.checkpointer.stats.last).toMatchObject({ keys: 1 });
  });

  it('writes in bounded slices, one transaction each, yielding to the event loop between them', () => {
    const r = rig({ budget: { maxKeys: 100 } });
    open.push(r.store);
    for (let i = 0; i < 1_050; i++) r.model.change(`k${i}`);
    r.checkpointer.start();
    r.clock.advanceTo(6_000);
    // The first slice ran inside the timer; the rest wait for yields (virtual clock: maxKeys decides).
    expect(Object.keys(r.stored())).toHaveLength(100);
    expect(r.yields).toHaveLength(1);
    r.drain();
    expect(Object.keys(r.stored())).toHaveLength(1_050);
    expect(r.checkpointer.stats.last).toMatchObject({ keys: 1_050, slices: 11 });
  });

  it('writes again next time a key changed after the checkpoint read it, and keeps a fixed cadence', () => {
    const r = rig({ budget: { maxKeys: 1 } });
    open.push(r.store);
    r.model.change('a');
    r.model.change('b');
    r.checkpointer.start();
    r.clock.advanceTo(6_000); // reads a
    r.model.change('a'); // after it was read: the next checkpoint takes it
    r.model.change('b'); // before it was read: this one writes the newest value
    r.drain();
    expect(r.stored()).toEqual({ a: 1, b: 2 });
    r.clock.advanceTo(11_000);
    r.drain();
    expect(r.stored()).toEqual({ a: 2, b: 2 });
  });

  it('puts the keys of a failed write back, and the next checkpoint writes them', () => {
    const r = rig();
    open.push(r.store);
    r.model.change('a');
    r.model.change('b');
    const put = r.store.modelStates.put.bind(r.store.modelStates);
    let failing = true;
    r.store.modelStates.put = (...args) => {
      if (failing && args[1] === 'b') throw new Error('disk full');
      put(...args);
    };
    r.checkpointer.start();
    r.clock.advanceTo(6_000);
    r.drain();
    expect(r.errors.map((e) => e.message)).toEqual(['disk full']);
    expect(r.stored()).toEqual({}); // rolled back, a included
    failing = false;
    r.clock.advanceTo(11_000);
    r.drain();
    expect(r.stored()).toEqual({ a: 1, b: 1 });
  });

  it('writes everything still changed at stop, the rest of a checkpoint in progress included, and then nothing more', () => {
    const r = rig({ budget: { maxKeys: 10 } });
    open.push(r.store);
    for (let i = 0; i < 25; i++) r.model.change(`k${i}`);
    r.checkpointer.start();
    r.clock.advanceTo(6_000); // 10 written, 15 waiting for the next slice
    r.model.change('late');
    expect(r.checkpointer.stop()).toBe(16);
    expect(Object.keys(r.stored())).toHaveLength(26);
    r.drain(); // the slice it had yielded finds the checkpointer stopped
    r.model.change('after-stop');
    r.clock.advanceTo(60_000);
    r.drain();
    expect(Object.keys(r.stored())).toHaveLength(26);
  });

  it('checkpointNow writes what changed before the call, after the checkpoint in progress', async () => {
    const store = new Store(openDatabase(':memory:'));
    open.push(store);
    store.modelStates.adopt('s', 'v1');
    const model = counterModel();
    const checkpointer = new ModelCheckpointer({ models: [{ scenarioId: 's', model }], store, scheduler: new ManualScheduler(0), intervalMs: 0, budget: { maxKeys: 2 }, onError: () => undefined });
    for (let i = 0; i < 5; i++) model.change(`k${i}`);
    const first = checkpointer.checkpointNow();
    model.change('k9');
    const second = checkpointer.checkpointNow();
    expect(await first).toBe(5);
    expect(await second).toBe(1);
    expect(store.modelStates.count('s')).toBe(6);
  });
});
