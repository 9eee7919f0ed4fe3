import { describe, expect, it } from 'vitest';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Detection } from '../../../src/contracts/detection.js';
import type { ThresholdScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { createThresholdModel } from '../../../src/models/threshold.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

function scenario(overrides: Partial<ThresholdScenario> = {}): ThresholdScenario {
  return {
    id: 'gas-leak',
    name: 'Gas leak',
    category: 'gas',
    model: 'threshold',
    appliesTo: { deviceTypes: ['gas_detector'] },
    keyBy: 'device',
    alert: { cooldownMs: 0, flapping: { maxChanges: 5, windowMs: 600_000 } },
    dispatch: true,
    metric: 'gas_lel_pct',
    levels: { red: 'value >= 25', orange: 'value > 10', yellow: 'value > 5' },
    for: {},
    reset: {},
    maxGapMs: 3_600_000,
    ...overrides,
  };
}

const detector = makeContext({
  deviceId: 'gd-1', type: 'gas_detector',
  subject: { id: 'hh-1', livingAlone: true, personal: { name: 'Wang Fang', phone: '13800000000', address: 'Room 301' } },
});

function setup(overrides: Partial<ThresholdScenario> = {}, scheduler = new ManualScheduler(0)) {
  const detections: Detection[] = [];
  const model = createThresholdModel(scenario(overrides), { scheduler, emit: (d) => detections.push(d) });
  const feed = (ts: number, gas: number) => model.onReading(makeReading(detector, ts, { gas_lel_pct: gas }));
  return { model, detections, feed, scheduler, verdicts: () => detections.map((d) => d.verdict) };
}

describe('threshold model', () => {
  it('emits the first reading\'s verdict, then only changes', () => {
    const { feed, verdicts, detections, model } = setup();
    feed(1_000, 1);
    feed(2_000, 2);
    expect(verdicts()).toEqual(['ok']);
    expect(detections[0]).toMatchObject({ scenarioId: 'gas-leak', key: 'gd-1', eventTime: 1_000, detectedAt: 0 });
    expect(model.size).toBe(1);
  });

  it('checks the highest level first', () => {
    const { feed, detections } = setup();
    feed(1_000, 2);
    feed(2_000, 27);
    expect(detections.map((d) => d.verdict)).toEqual(['ok', 'red']);
    const red = detections[1]!;
    expect(red.eventTime).toBe(2_000);
    expect(red.evidence.facts).toMatchObject({ value: 27, threshold: 'value >= 25' });
    expect(red.summary).toBe('gas_lel_pct 27 ≥ red condition (value >= 25)');
    expect(red.evidence.readings.map((r) => r.metrics.gas_lel_pct)).toEqual([2, 27]);
  });

  it('without a metric, says which condition holds', () => {
    const { feed, detections } = setup({ metric: undefined, levels: { red: 'metrics.gas_lel_pct >= 25' } });
    feed(1_000, 30);
    expect(detections[0]!.summary).toBe('red condition (metrics.gas_lel_pct >= 25) holds');
  });

  it('with a reset, a value oscillating around the boundary raises once (hysteresis)', () => {
    const { feed, verdicts } = setup({ levels: { orange: 'value > 10' }, reset: { orange: 'value < 8' } });
    [9.9, 10.1, 9.9, 10.1, 9.9, 10.1, 9.9, 8.5].forEach((v, i) => feed(i * 1_000, v));
    expect(verdicts()).toEqual(['ok', 'orange']);
    feed(10_000, 7.9);
    expect(verdicts()).toEqual(['ok', 'orange', 'ok']);
  });

  it('without a reset, the same oscillation flaps (the reason resets exist)', () => {
    const { feed, verdicts } = setup({ levels: { orange: 'value > 10' } });
    [9.9, 10.1, 9.9, 10.1].forEach((v, i) => feed(i * 1_000, v));
    expect(verdicts()).toEqual(['ok', 'orange', 'ok', 'orange']);
  });

  it('de-escalates red → orange → ok, each level with its own reset', () => {
    const { feed, detections, verdicts } = setup({
      levels: { red: 'value >= 25', orange: 'value > 10' },
      reset: { red: 'value < 20' },
    });
    feed(0, 30);
    feed(1_000, 22); // red holds until its reset (< 20)
    feed(2_000, 15);
    feed(3_000, 12);
    feed(4_000, 5);
    expect(verdicts()).toEqual(['red', 'orange', 'ok']);
    expect(detections[1]).toMatchObject({ eventTime: 2_000, evidence: { facts: { value: 15, reset: 'value < 20', threshold: 'value > 10' } } });
  });

  it('ignores readings that lack the metric: a battery heartbeat does not clear a gas alert', () => {
    const { model, feed, verdicts, detections } = setup();
    const heartbeat = makeReading(makeContext({ deviceId: 'gd-2', type: 'gas_detector' }), 500, { battery_pct: 90 });
    model.onReading(heartbeat);
    expect(model.size).toBe(0);
    feed(1_000, 30);
    model.onReading(makeReading(detector, 2_000, { battery_pct: 88 }));
    expect(verdicts()).toEqual(['red']);
    expect(detections[0]!.evidence.readings).toHaveLength(1);
  });

  it('ignores late readings for state changes', () => {
    const { feed, verdicts } = setup();
    feed(5_000, 30);
    feed(4_000, 1); // older than the latest event time
    expect(verdicts()).toEqual(['red']);
    feed(5_000, 1); // same event time still counts
    expect(verdicts()).toEqual(['red', 'ok']);
  });

  it('keeps five evidence readings, oldest first: the deciding one in full, earlier ones by the metric', () => {
    const { model, detections } = setup();
    const readings = [1, 2, 3, 4, 5, 6, 7].map((v, i) => makeReading(detector, i * 1_000, { gas_lel_pct: v, temp_c: 20 + i }));
    for (const r of readings) model.onReading(r);
    const yellow = detections.find((d) => d.verdict === 'yellow')!; // raised at 6
    expect(yellow.evidence.readings).toEqual([
      { deviceId: 'gd-1', ts: 1_000, metrics: { gas_lel_pct: 2 } },
      { deviceId: 'gd-1', ts: 2_000, metrics: { gas_lel_pct: 3 } },
      { deviceId: 'gd-1', ts: 3_000, metrics: { gas_lel_pct: 4 } },
      { deviceId: 'gd-1', ts: 4_000, metrics: { gas_lel_pct: 5 } },
      { deviceId: 'gd-1', ts: 5_000, metrics: { gas_lel_pct: 6, temp_c: 25 } },
    ]);
    expect(yellow.evidence.readings[4]!.metrics).not.toBe(readings[5]!.metrics);
  });

  it('keeps each key\'s evidence apart across thousands of keys', () => {
    const { model, detections } = setup({ metric: 'alarm', levels: { red: 'value == true' } });
    const contexts = Array.from({ length: 3_000 }, (_, i) => makeContext({ deviceId: `sd-${i}`, type: 'smoke_detector' }));
    for (const [i, ctx] of contexts.entries()) model.onReading(makeReading(ctx, 0, { alarm: false, seq: i }));
    for (const [i, ctx] of contexts.entries()) model.onReading(makeReading(ctx, 1_000 + i, { alarm: i % 2 === 0 }));
    const red = detections.filter((d) => d.verdict === 'red');
    expect(red).toHaveLength(1_500);
    for (const d of red) {
      const i = Number(d.key.slice(3));
      expect(d.evidence.readings).toEqual([
        { deviceId: d.key, ts: 0, metrics: { alarm: false } },
        { deviceId: d.key, ts: 1_000 + i, metrics: { alarm: true } },
      ]);
    }
  });

  it('keeps personal data out of summaries and evidence', () => {
    const { feed, detections } = setup();
    feed(0, 30);
    const text = JSON.stringify({ summary: detections[0]!.summary, evidence: detections[0]!.evidence });
    for (const secret of ['Wang Fang', '13800000000', 'Room 301']) expect(text).not.toContain(secret);
  });

  it('keys by subject across a household\'s detectors', () => {
    const { model, verdicts, detections } = setup({ keyBy: 'subject' });
    const kitchen = makeContext({ deviceId: 'gd-k', type: 'gas_detector', subject: { id: 'hh-9' } });
    const hall = makeContext({ deviceId: 'gd-h', type: 'gas_detector', subject: { id: 'hh-9' } });
    model.onReading(makeReading(kitchen, 0, { gas_lel_pct: 30 }));
    model.onReading(makeReading(hall, 1_000, { gas_lel_pct: 1 }));
    expect(verdicts()).toEqual(['red', 'ok']);
    expect(detections.map((d) => d.key)).toEqual(['hh-9', 'hh-9']);
    expect(detections[1]!.ctx.device.id).toBe('gd-h');
    expect(detections[1]!.evidence.readings.map((r) => r.deviceId)).toEqual(['gd-k', 'gd-h']);
    expect(model.size).toBe(1);
  });
});

describe('threshold model with `for`', () => {
  const forScenario: Partial<ThresholdScenario> = {
    levels: { red: 'value >= 25', orange: 'value > 10' },
    for: { red: 30_000 },
  };

  it('raises by timer when the duration is reached with no further reading (marbles)', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectObservable }) => {
      const readings = cold('a', { a: 30 });
      const verdicts$ = new Observable<string>((subscriber) => {
        const model = createThresholdModel(scenario(forScenario), {
          scheduler: testScheduler,
          emit: (d) => subscriber.next(`${d.verdict}@${d.eventTime}`),
        });
        const sub = readings.subscribe((v) => model.onReading(makeReading(detector, testScheduler.now(), { gas_lel_pct: v })));
        return () => {
          sub.unsubscribe();
          model.dispose();
        };
      });
      // While red's `for` is pending, orange (no `for`) is the verdict.
      expectObservable(verdicts$).toBe('o 29999ms r', { o: 'orange@0', r: 'red@30000' });
    });
  });

  it('restarts the duration when a reading interrupts the condition', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectObservable }) => {
      const readings = cold('a 9999ms b 9999ms c', { a: 30, b: 5, c: 30 });
      const verdicts$ = new Observable<string>((subscriber) => {
        const model = createThresholdModel(scenario(forScenario), { scheduler: testScheduler, emit: (d) => subscriber.next(d.verdict) });
        const sub = readings.subscribe((v) => model.onReading(makeReading(detector, testScheduler.now(), { gas_lel_pct: v })));
        return () => {
          sub.unsubscribe();
          model.dispose();
        };
      });
      expectObservable(verdicts$).toBe('o 9999ms k 9999ms o 29999ms r', { o: 'orange', k: 'ok', r: 'red' });
    });
  });

  it('a device that goes silent does not complete the duration on its last word (maxGap)', () => {
    // red needs 30 s of gas ≥ 25; readings must confirm it at most 10 s apart.
    const { feed, detections, scheduler } = setup({ ...forScenario, maxGapMs: 10_000 });
    feed(0, 30); // orange at once, red pending
    scheduler.advanceTo(5_000);
    feed(5_000, 30); // still confirmed...
    scheduler.advanceTo(120_000); // ...then silence: no timer may raise red on that evidence
    expect(detections.map((d) => d.verdict)).toEqual(['orange']);
    // After the gap the duration starts again from the next confirming reading.
    for (const t of [120_000, 129_000, 138_000, 147_000]) {
      scheduler.advanceTo(t);
      feed(t, 30);
    }
    expect(detections.map((d) => d.verdict)).toEqual(['orange']);
    scheduler.advanceTo(150_000); // 30 s after the restart, the last reading 3 s old: red by timer
    expect(detections.map((d) => `${d.verdict}@${d.eventTime}`)).toEqual(['orange@0', 'red@150000']);
  });

  it('raises on a reading that arrives after the duration, by event time', () => {
    // The engine clock stands still (replay before the timer's turn): event time alone decides.
    const { feed, detections } = setup(forScenario);
    feed(0, 30);
    feed(20_000, 31);
    feed(40_000, 32);
    expect(detections.map((d) => `${d.verdict}@${d.eventTime}`)).toEqual(['orange@0', 'red@40000']);
    expect(detections[1]!.evidence.facts).toMatchObject({ forMs: 30_000, since: 0 });
    expect(detections[1]!.summary).toBe('gas_lel_pct 32 ≥ red condition (value >= 25) for 30s');
  });

  it('fires pending durations of several levels in order, each at its own event time', () => {
    const scheduler = new ManualScheduler(0);
    const { feed, detections, model } = setup({
      levels: { red: 'value >= 25', orange: 'value > 10' },
      for: { red: 20_000, orange: 10_000 },
    }, scheduler);
    feed(0, 30);
    expect(scheduler.pendingCount).toBe(1);
    scheduler.advanceTo(60_000);
    expect(detections.map((d) => `${d.verdict}@${d.eventTime}/${d.detectedAt}`)).toEqual(['ok@0/0', 'orange@10000/10000', 'red@20000/20000']);
    expect(scheduler.pendingCount).toBe(0);
    model.dispose();
  });

  it('dispose cancels pending timers and silences the model', () => {
    const scheduler = new ManualScheduler(0);
    const { feed, detections, model } = setup(forScenario, scheduler);
    feed(0, 30);
    model.dispose();
    expect(scheduler.pendingCount).toBe(0);
    scheduler.advanceTo(60_000);
    feed(61_000, 40);
    expect(detections.map((d) => d.verdict)).toEqual(['orange']);
    expect(model.size).toBe(0);
  });
});

describe('threshold model on the way down (alert semantics: safety first)', () => {
  /** The shipped gas-concentration ladder (rules/gas-concentration.yaml). */
  const gasLadder: Partial<ThresholdScenario> = {
    levels: { red: 'value >= 25', orange: 'value >= 10', yellow: 'value >= 5' },
    for: { yellow: 60_000 },
    reset: { orange: 'value < 8', red: 'value < 20' },
  };

  it('a lingering leak: red, then 7 %LEL for minutes, stays open at yellow until below 5', () => {
    const { feed, detections, verdicts, scheduler } = setup(gasLadder);
    feed(0, 30);
    scheduler.advanceTo(2_000);
    feed(2_000, 7); // red's and orange's resets hold; yellow's condition holds, its `for` has not run
    expect(verdicts()).toEqual(['red', 'yellow']);
    expect(detections[1]).toMatchObject({
      eventTime: 2_000,
      summary: 'gas_lel_pct 7: yellow condition (value >= 5) still holds',
      evidence: { facts: { value: 7, threshold: 'value >= 5', latched: true, reset: 'value < 20' } },
    });
    for (let t = 17_000; t <= 300_000; t += 15_000) {
      scheduler.advanceTo(t);
      feed(t, 7);
    }
    expect(verdicts()).toEqual(['red', 'yellow']); // not cleared, not re-raised: nothing to announce
    feed(315_000, 4);
    expect(verdicts()).toEqual(['red', 'yellow', 'ok']);
  });

  it('a level stays latched inside its hysteresis band: red → 9 is orange until below 8', () => {
    const { feed, detections, verdicts } = setup(gasLadder);
    feed(0, 30);
    feed(1_000, 9);
    expect(detections[1]!.summary).toBe('gas_lel_pct 9: orange kept until its reset (value < 8) holds');
    feed(2_000, 9.5);
    feed(3_000, 7.5);
    feed(4_000, 4.9);
    expect(verdicts()).toEqual(['red', 'orange', 'yellow', 'ok']);
  });

  it('falls straight to ok when every level lets go at once', () => {
    const { feed, verdicts } = setup(gasLadder);
    feed(0, 30);
    feed(1_000, 1);
    expect(verdicts()).toEqual(['red', 'ok']);
  });

  it('latches only levels whose condition held: a smoke alarm clears on the all-clear unless smoke lingers in the pre-alarm band', () => {
    const smoke: Partial<ThresholdScenario> = {
      metric: undefined,
      levels: {
        red: 'has(metrics.smoke_alarm) && metrics.smoke_alarm == true',
        orange: 'has(metrics.smoke_obscuration_pct_per_m) && metrics.smoke_obscuration_pct_per_m >= 1.5',
      },
      for: { orange: 60_000 },
      reset: {
        red: 'has(metrics.smoke_alarm) && metrics.smoke_alarm == false',
        orange: 'has(metrics.smoke_obscuration_pct_per_m) && metrics.smoke_obscuration_pct_per_m < 1.0',
      },
    };
    const { model, verdicts } = setup(smoke);
    const read = (ts: number, metrics: Record<string, number | boolean>) => model.onReading(makeReading(detector, ts, metrics));
    read(0, { smoke_alarm: true });
    read(1_000, { battery_pct: 80 }); // a heartbeat is no all-clear
    read(2_000, { smoke_alarm: false });
    expect(verdicts()).toEqual(['red', 'ok']);
    // With obscuration: the pre-alarm level was reached during the fire and is left only by its reset.
    read(3_000, { smoke_alarm: true, smoke_obscuration_pct_per_m: 10 });
    read(4_000, { smoke_alarm: false, smoke_obscuration_pct_per_m: 1.2 });
    read(5_000, { smoke_alarm: false, smoke_obscuration_pct_per_m: 0.5 });
    expect(verdicts()).toEqual(['red', 'ok', 'red', 'orange', 'ok']);
  });

  it('a higher level whose `for` is running keeps the alert where it is instead of clearing it', () => {
    const { model, verdicts, detections, scheduler } = setup({
      metric: undefined,
      levels: { red: 'metrics.gas_lel_pct >= 25', yellow: 'has(metrics.smell) && metrics.smell == true' },
      for: { red: 30_000 },
    });
    model.onReading(makeReading(detector, 0, { gas_lel_pct: 1, smell: true }));
    scheduler.advanceTo(10_000);
    model.onReading(makeReading(detector, 10_000, { gas_lel_pct: 30, smell: false }));
    expect(verdicts()).toEqual(['yellow']);
    scheduler.advanceTo(40_000);
    expect(detections.map((d) => `${d.verdict}@${d.eventTime}`)).toEqual(['yellow@0', 'red@40000']);
  });

  it('keeps its latches across a snapshot', () => {
    const acknowledged: Partial<ThresholdScenario> = {
      metric: undefined,
      levels: { red: 'metrics.gas_lel_pct >= 25', orange: 'metrics.gas_lel_pct >= 10' },
      reset: { red: 'has(metrics.ack)', orange: 'metrics.gas_lel_pct < 8' },
    };
    const before = setup(acknowledged);
    before.model.onReading(makeReading(detector, 0, { gas_lel_pct: 30 }));
    before.model.onReading(makeReading(detector, 1_000, { gas_lel_pct: 9 })); // red kept: no ack; orange latched
    const snapshot = JSON.parse(JSON.stringify(before.model.snapshot()));
    const after = setup(acknowledged);
    after.model.restore(snapshot, () => detector);
    after.model.onReading(makeReading(detector, 2_000, { gas_lel_pct: 9, ack: true }));
    expect(after.verdicts()).toEqual(['orange']);
  });

  it('holds a restored verdict newer than its checkpoint until that level resets', () => {
    // The checkpoint predates the leak; the engine restores the verdict from the open red alert.
    const withResets: Partial<ThresholdScenario> = { reset: { red: 'value < 20', orange: 'value < 8' } };
    const before = setup(withResets);
    before.model.onReading(makeReading(detector, 0, { gas_lel_pct: 0 }));
    const snapshot = JSON.parse(JSON.stringify(before.model.snapshot()));
    const after = setup(withResets);
    after.model.restore(snapshot, () => detector, () => 'red');
    after.model.onReading(makeReading(detector, 1_000, { gas_lel_pct: 22 })); // below red, above red's reset
    after.model.onReading(makeReading(detector, 2_000, { gas_lel_pct: 7 })); // red reset, orange reset, yellow holds
    expect(after.verdicts()).toEqual(['yellow']);
  });
});

describe('threshold scenario validation', () => {
  it('rejects expressions that do not parse and per-level settings without a level', () => {
    const make = (overrides: Partial<ThresholdScenario>) => () =>
      createThresholdModel(scenario(overrides), { scheduler: new ManualScheduler(0), emit: () => undefined });
    const invalid = expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' });
    expect(make({ levels: { red: 'value >=' } })).toThrow(invalid);
    expect(make({ levels: { red: 'value > 1' }, reset: { orange: 'value < 1' } })).toThrow(invalid);
    expect(make({ levels: { red: 'value > 1' }, for: { yellow: 1_000 } })).toThrow(invalid);
    expect(make({ levels: {} })).toThrow(invalid);
  });
});
