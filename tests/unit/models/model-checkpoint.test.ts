import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../src/contracts/detection.js';
import type { ChangedKeys, ScenarioModel, SnapshotEntry } from '../../../src/contracts/model.js';
import type { InactivityScenario, OfflineScenario, ThresholdScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { settledVerdict } from '../../../src/models/keyed-states.js';
import { createInactivityModel } from '../../../src/models/inactivity.js';
import { createOfflineModel } from '../../../src/models/offline.js';
import { createThresholdModel } from '../../../src/models/threshold.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const common = { category: 'x', keyBy: 'device' as const, alert: { cooldownMs: 0, flapping: { maxChanges: 6, windowMs: HOUR } }, dispatch: true };
const offlineScenario: OfflineScenario = { ...common, id: 'meter-offline', name: 'x', model: 'offline', appliesTo: { deviceTypes: ['water_meter'] }, levels: { blue: 2 * HOUR, yellow: 6 * HOUR } };
const tapScenario: ThresholdScenario = {
  ...common, id: 'tap', name: 'x', model: 'threshold', appliesTo: { deviceTypes: ['water_meter'] },
  metric: 'flow_lpm', levels: { yellow: 'value > 0.5' }, for: { yellow: 2 * HOUR }, reset: {}, maxGapMs: HOUR,
};
const elderly = makeContext({ deviceId: 'wm-1', type: 'water_meter', subject: { id: 'hh-1', livingAlone: true, age: 80 } });
const noWaterScenario: InactivityScenario = {
  ...common, id: 'no-water', name: 'x', model: 'inactivity', keyBy: 'subject', appliesTo: { deviceTypes: ['water_meter'] },
  active: 'metrics.flow_lpm > 0.1', levels: { yellow: 8 * HOUR }, maxSilenceMs: HOUR,
};
const meter = (id: string) => makeContext({ deviceId: id, type: 'water_meter', subject: { id: `hh-${id}` } });

/** Everything the model's changed keys hold, read as a checkpoint would. */
function readAll(changed: ChangedKeys): SnapshotEntry[] {
  const entries: SnapshotEntry[] = [];
  for (let i = 0; i < changed.length; i++) {
    const entry = changed.read(i);
    if (entry) entries.push(JSON.parse(JSON.stringify(entry)) as SnapshotEntry); // as the store keeps it
  }
  return entries;
}

function run(create: (clock: ManualScheduler, emit: (d: Detection) => void) => ScenarioModel, at = 0) {
  const clock = new ManualScheduler(at);
  const detections: Detection[] = [];
  const model = create(clock, (d) => detections.push(d));
  return { clock, detections, model };
}

describe('dirty keys: what a checkpoint takes from a model', () => {
  it('lists each key changed since the last take once, whatever model kind, and nothing else', () => {
    const kinds = [
      (clock: ManualScheduler, emit: (d: Detection) => void) => createOfflineModel(offlineScenario, { scheduler: clock, emit }),
      (clock: ManualScheduler, emit: (d: Detection) => void) => createThresholdModel(tapScenario, { scheduler: clock, emit }),
      (clock: ManualScheduler, emit: (d: Detection) => void) => createInactivityModel({ ...noWaterScenario, keyBy: 'device' }, { scheduler: clock, emit }),
    ];
    for (const create of kinds) {
      const { model } = run(create);
      for (let i = 0; i < 3; i++) model.onReading(makeReading(meter('a'), i * MINUTE, { flow_lpm: 1 }));
      model.onReading(makeReading(meter('b'), 0, { flow_lpm: 1 }));
      expect(readAll(model.takeChanged(0, true)).map((e) => e.key)).toEqual(['a', 'b']);
      expect(model.takeChanged(0, true).length).toBe(0);
      model.onReading(makeReading(meter('b'), 5 * MINUTE, { flow_lpm: 1 }));
      expect(readAll(model.takeChanged(0, true)).map((e) => e.key)).toEqual(['b']);
    }
  });

  it('lists a key again when it changes after a checkpoint read it, and returns unread keys on putBack', () => {
    const { model } = run((clock, emit) => createOfflineModel(offlineScenario, { scheduler: clock, emit }));
    model.onReading(makeReading(meter('a'), 0, {}));
    model.onReading(makeReading(meter('b'), 0, {}));
    const taken = model.takeChanged(0, true);
    expect(taken.read(0)?.key).toBe('a');
    model.onReading(makeReading(meter('a'), MINUTE, {})); // read already: listed again
    taken.putBack(1); // b was never written
    // b goes back as changed, a (only refreshed since) with the refreshed keys.
    expect(readAll(model.takeChanged(0, true)).map((e) => [e.key, e.state.lastSeen])).toEqual([['b', 0], ['a', MINUTE]]);
  });

  it('holds keys whose only change is the newest reading until the refresh period (1 % of the shortest window) passed', () => {
    // Offline, first level 2 h: refreshed keys go with a checkpoint every 72 s.
    const { clock, model } = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }));
    model.onReading(makeReading(meter('a'), 0, {}));
    expect(readAll(model.takeChanged(0, false)).map((e) => e.key)).toEqual(['a']); // the first reading decides
    clock.advanceTo(10 * SECOND);
    model.onReading(makeReading(meter('a'), 10 * SECOND, {}));
    model.onReading(makeReading(meter('b'), 10 * SECOND, {}));
    expect(readAll(model.takeChanged(10 * SECOND, false)).map((e) => e.key)).toEqual(['b']); // a only refreshed
    clock.advanceTo(50 * SECOND);
    model.onReading(makeReading(meter('a'), 50 * SECOND, {}));
    expect(model.takeChanged(50 * SECOND, false).length).toBe(0);
    expect(readAll(model.takeChanged(72 * SECOND, false)).map((e) => [e.key, e.state.lastSeen])).toEqual([['a', 50 * SECOND]]);
    // A graceful stop (or checkpointNow) takes everything, whenever refreshed keys went last.
    model.onReading(makeReading(meter('a'), 80 * SECOND, {}));
    expect(readAll(model.takeChanged(80 * SECOND, true)).map((e) => [e.key, e.state.lastSeen])).toEqual([['a', 80 * SECOND]]);
  });

  it('writes a key listed both as changed and as refreshed once per checkpoint, with its newest state', () => {
    const { clock, model } = run((c, emit) => createThresholdModel(tapScenario, { scheduler: c, emit }));
    model.onReading(makeReading(meter('a'), 0, { flow_lpm: 0 }));
    readAll(model.takeChanged(0, true));
    model.onReading(makeReading(meter('a'), MINUTE, { flow_lpm: 0 })); // refreshed
    clock.advanceTo(2 * MINUTE);
    model.onReading(makeReading(meter('a'), 2 * MINUTE, { flow_lpm: 6 })); // yellow's condition holds: changed
    expect(readAll(model.takeChanged(2 * MINUTE, true)).map((e) => [e.key, e.state.latestTs, e.state.held])).toEqual([['a', 2 * MINUTE, 1]]);
  });

  it('after a restore from a refreshed key up to the refresh period old, an offline alert comes early by at most that, never late', () => {
    const before = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }));
    before.model.onReading(makeReading(meter('a'), 0, {}));
    const durable = readAll(before.model.takeChanged(0, false)); // lastSeen 0
    before.clock.advanceTo(60 * SECOND);
    before.model.onReading(makeReading(meter('a'), 60 * SECOND, {})); // refreshed, not yet written
    expect(before.model.takeChanged(60 * SECOND, false).length).toBe(0); // kill -9 after this checkpoint
    const after = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }), 90 * SECOND);
    after.model.restore(durable, (id) => meter(id), () => undefined);
    after.clock.advanceTo(3 * HOUR);
    const due = 60 * SECOND + 2 * HOUR; // the truth: silent since 60 s
    const raised = after.detections.find((d) => d.verdict === 'blue')!;
    expect(raised.eventTime).toBeLessThanOrEqual(due);
    expect(due - raised.eventTime).toBeLessThanOrEqual(2 * HOUR / 100);
  });

  it('marks a key changed when a timer changes its verdict', () => {
    const { clock, model } = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }));
    model.onReading(makeReading(meter('a'), 0, {}));
    readAll(model.takeChanged(0, true));
    clock.advanceTo(2 * HOUR);
    expect(readAll(model.takeChanged(0, true)).map((e) => [e.key, e.state.verdict])).toEqual([['a', 'blue']]);
  });
});

describe('restore from a checkpoint', () => {
  it('resumes a running `for` duration so the level comes at its original time, and does not list restored keys as changed', () => {
    const before = run((clock, emit) => createThresholdModel(tapScenario, { scheduler: clock, emit }));
    for (let t = 0; t <= HOUR; t += 15 * MINUTE) {
      before.clock.advanceTo(t);
      before.model.onReading(makeReading(meter('a'), t, { flow_lpm: 6 }));
    }
    const checkpoint = readAll(before.model.takeChanged(0, true));
    const after = run((clock, emit) => createThresholdModel(tapScenario, { scheduler: clock, emit }), HOUR + 5 * MINUTE);
    expect(after.model.restore(checkpoint, (id) => meter(id), () => undefined)).toBe(1);
    expect(after.model.takeChanged(0, true).length).toBe(0);
    for (let t = HOUR + 15 * MINUTE; t <= 2 * HOUR; t += 15 * MINUTE) {
      after.clock.advanceTo(t);
      after.model.onReading(makeReading(meter('a'), t, { flow_lpm: 6 }));
    }
    expect(after.detections.map((d) => `${d.verdict}@${d.eventTime / MINUTE}m`)).toEqual(['yellow@120m']);
  });

  it('resumes an inactivity count (no water for hours) from the checkpoint', () => {
    const before = run((clock, emit) => createInactivityModel(noWaterScenario, { scheduler: clock, emit }));
    for (let t = 0; t <= 6 * HOUR; t += 15 * MINUTE) {
      before.clock.advanceTo(t);
      before.model.onReading(makeReading(elderly, t, { flow_lpm: t === 0 ? 3 : 0 }));
    }
    const checkpoint = readAll(before.model.takeChanged(0, true));
    const after = run((clock, emit) => createInactivityModel(noWaterScenario, { scheduler: clock, emit }), 6 * HOUR + 10 * MINUTE);
    after.model.restore(checkpoint, () => elderly, () => undefined);
    for (let t = 6 * HOUR + 15 * MINUTE; t <= 9 * HOUR; t += 15 * MINUTE) {
      after.clock.advanceTo(t);
      after.model.onReading(makeReading(elderly, t, { flow_lpm: 0 }));
    }
    expect(after.detections.map((d) => `${d.key}:${d.verdict}@${d.eventTime / HOUR}h`)).toEqual(['hh-1:yellow@8h']);
  });

  it('reports a device silent through the downtime at its due time, or at once when that passed meanwhile', () => {
    const before = run((clock, emit) => createOfflineModel(offlineScenario, { scheduler: clock, emit }));
    before.model.onReading(makeReading(meter('early'), 0, {}));
    before.model.onReading(makeReading(meter('late'), HOUR, {}));
    const checkpoint = readAll(before.model.takeChanged(0, true));
    const after = run((clock, emit) => createOfflineModel(offlineScenario, { scheduler: clock, emit }), 2.5 * HOUR);
    after.model.restore(checkpoint, (id) => meter(id), () => undefined);
    after.clock.advanceTo(2.5 * HOUR + 1);
    after.clock.advanceTo(3 * HOUR);
    expect(after.detections.map((d) => `${d.key}:${d.verdict} detected ${d.detectedAt / MINUTE}m`)).toEqual(['early:blue detected 150m', 'late:blue detected 180m']);
  });

  it('settles each verdict against the alert open in the store: raises again what the store never got, clears what it did not clear', () => {
    const before = run((clock, emit) => createOfflineModel(offlineScenario, { scheduler: clock, emit }));
    before.model.onReading(makeReading(meter('a'), 0, {}));
    before.model.onReading(makeReading(meter('b'), 0, {}));
    before.clock.advanceTo(2 * HOUR); // both blue in the model
    const checkpoint = readAll(before.model.takeChanged(0, true));
    // The store got a's alert but not b's (crash between the checkpoint and b's commit).
    const after = run((clock, emit) => createOfflineModel(offlineScenario, { scheduler: clock, emit }), 2 * HOUR + SECOND);
    after.model.restore(checkpoint, (id) => meter(id), (key) => (key === 'a' ? 'blue' : undefined));
    after.clock.advanceTo(2 * HOUR + 2 * SECOND);
    expect(after.detections.map((d) => `${d.key}:${d.verdict}`)).toEqual(['b:blue']);
  });

  it('settles verdicts: the open alert decides; no alert turns a level into ok; undecided stays undecided', () => {
    expect(settledVerdict('ok', 'orange')).toBe('orange');
    expect(settledVerdict('red', 'yellow')).toBe('yellow');
    expect(settledVerdict('red', undefined)).toBe('ok');
    expect(settledVerdict('ok', undefined)).toBe('ok');
    expect(settledVerdict(null, undefined)).toBe(null);
  });
});

describe('devices never heard from (offline watch)', () => {
  it('counts a registry device\'s silence from the watch, checkpoints it, and clears on its first message', () => {
    const { clock, detections, model } = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }), 10 * MINUTE);
    expect(model.watch!(meter('quiet'), 10 * MINUTE)).toBe(true);
    model.onReading(makeReading(meter('talks'), 10 * MINUTE, {}));
    expect(model.watch!(meter('talks'), 10 * MINUTE)).toBe(false); // holds state already
    expect(readAll(model.takeChanged(0, true)).map((e) => e.key)).toEqual(['quiet', 'talks']);
    clock.advanceTo(2 * HOUR + 10 * MINUTE);
    const raised = detections.find((d) => d.key === 'quiet')!;
    expect(raised).toMatchObject({ verdict: 'blue', eventTime: 2 * HOUR + 10 * MINUTE, evidence: { readings: [], facts: { neverSeen: true, watchedSince: 10 * MINUTE } } });
    model.onReading(makeReading(meter('quiet'), clock.now(), {}));
    expect(detections.at(-1)).toMatchObject({ key: 'quiet', verdict: 'ok', summary: 'device reporting' });
  });

  it('keeps the watch\'s start across a restart, so a crash does not postpone the device\'s due time', () => {
    const before = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }));
    before.model.watch!(meter('quiet'), 0);
    const checkpoint = readAll(before.model.takeChanged(0, true));
    const after = run((c, emit) => createOfflineModel(offlineScenario, { scheduler: c, emit }), HOUR);
    after.model.restore(checkpoint, (id) => meter(id), () => undefined);
    expect(after.model.watch!(meter('quiet'), HOUR)).toBe(false);
    after.clock.advanceTo(2 * HOUR);
    expect(after.detections.map((d) => `${d.key}:${d.verdict}@${d.eventTime / HOUR}h`)).toEqual(['quiet:blue@2h']);
  });
});
