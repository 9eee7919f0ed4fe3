import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../src/contracts/detection.js';
import type { DeviceContext } from '../../../src/contracts/registry.js';
import type { InactivityScenario, OfflineScenario } from '../../../src/models/index.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { createInactivityModel } from '../../../src/models/inactivity.js';
import { createOfflineModel } from '../../../src/models/offline.js';
import { makeContext, makeReading } from '../../helpers/device-context.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Wall-clock time in Asia/Shanghai (UTC+8, no DST) as epoch ms. */
const sh = (iso: string) => Date.parse(`${iso}+08:00`);
const label = (t: number) => new Date(t + 8 * HOUR).toISOString().slice(5, 16).replace('T', ' ');

function scenario(overrides: Partial<InactivityScenario> = {}): InactivityScenario {
  return {
    id: 'elderly-no-water',
    name: 'No water use by an elderly resident living alone',
    category: 'elderly_care',
    model: 'inactivity',
    appliesTo: { deviceTypes: ['water_meter'], when: 'subject.livingAlone' },
    keyBy: 'subject',
    alert: { cooldownMs: 0, flapping: { maxChanges: 5, windowMs: 3_600_000 } },
    dispatch: true,
    active: 'metrics.flow_lpm > 0.1',
    levels: { yellow: 8 * HOUR, orange: 12 * HOUR, red: 24 * HOUR },
    activeHours: { from: '06:00', to: '22:00' },
    maxSilenceMs: 2 * HOUR,
    ...overrides,
  };
}

const meter = makeContext({
  deviceId: 'wm-1', type: 'water_meter',
  subject: { id: 'hh-1', livingAlone: true, age: 82, personal: { name: 'Li Lan', phone: '13900000000' } },
});

/** A model on a manual clock plus a driver that replays a meter reporting every 15 minutes. */
function setup(overrides: Partial<InactivityScenario> = {}, start = sh('2024-03-01T20:00')) {
  const scheduler = new ManualScheduler(start);
  const detections: Detection[] = [];
  let maxPending = 0;
  const model = createInactivityModel(scenario(overrides), { scheduler, emit: (d) => detections.push(d) });
  const read = (ctx: DeviceContext, ts: number, flow: number) => {
    scheduler.advanceTo(ts);
    model.onReading(makeReading(ctx, ts, { flow_lpm: flow, total_m3: 12.3 }));
    maxPending = Math.max(maxPending, scheduler.pendingCount);
  };
  /** Idle readings (flow 0) every 15 min in (from, to]; `usedAt` lists times with flow. */
  const report = (from: number, to: number, usedAt: number[] = [], ctx = meter) => {
    for (let t = from + 15 * MINUTE; t <= to; t += 15 * MINUTE) read(ctx, t, usedAt.includes(t) ? 4.2 : 0);
  };
  const seen = () => detections.map((d) => `${d.verdict}@${label(d.eventTime)}`);
  return { scheduler, model, detections, read, report, seen, maxPending: () => maxPending };
}

describe('inactivity model', () => {
  it('counts only 06:00–22:00: last use 20:00 → yellow 8h at 12:00, orange 12h at 16:00, nothing at night', () => {
    const { read, report, detections, seen, scheduler, maxPending } = setup();
    read(meter, sh('2024-03-01T20:00'), 4.2);
    report(sh('2024-03-01T20:00'), sh('2024-03-02T20:00'));

    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 12:00', 'orange@03-02 16:00']);
    // Decided on time, by the timer, not by a later reading.
    expect(detections.map((d) => d.detectedAt)).toEqual(detections.map((d) => d.eventTime));
    const yellow = detections[1]!;
    expect(yellow).toMatchObject({ scenarioId: 'elderly-no-water', key: 'hh-1' });
    expect(yellow.summary).toBe('no water use for 8h (counted 06:00–22:00 Asia/Shanghai)');
    expect(yellow.evidence.facts).toMatchObject({ inactiveMs: 8 * HOUR, activeHours: '06:00-22:00', lastActiveAt: sh('2024-03-01T20:00') });
    expect(yellow.evidence.readings.map((r) => r.metrics.flow_lpm)).toEqual([4.2, 0]);
    expect(JSON.stringify({ s: yellow.summary, e: yellow.evidence })).not.toMatch(/Li Lan|13900000000/);
    expect(maxPending()).toBe(1);
    // The meter stops reporting at 20:00: counting stops at 22:00 (18h), short of red's 24h, and the
    // key waits unarmed for its next reading.
    scheduler.advanceTo(sh('2024-03-05T00:00'));
    expect(detections).toHaveLength(3);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('an active reading clears a level, and counting restarts from it', () => {
    const { read, report, seen } = setup();
    read(meter, sh('2024-03-01T20:00'), 4.2);
    report(sh('2024-03-01T20:00'), sh('2024-03-02T17:00'), [sh('2024-03-02T17:00')]);
    report(sh('2024-03-02T17:00'), sh('2024-03-03T12:00'));
    // 17:00–22:00 is 5h, then 3h from 06:00.
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 12:00', 'orange@03-02 16:00', 'ok@03-02 17:00', 'yellow@03-03 09:00']);
  });

  it('activity postpones the alert without alerting in between', () => {
    const { read, report, seen } = setup();
    read(meter, sh('2024-03-01T20:00'), 4.2);
    report(sh('2024-03-01T20:00'), sh('2024-03-02T20:00'), [sh('2024-03-02T09:00')]);
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 17:00']);
  });

  it('reaches red after 24h of active-hours time and stays there without further timers', () => {
    const { read, report, seen, scheduler } = setup({ activeHours: undefined });
    read(meter, sh('2024-03-01T20:00'), 4.2);
    report(sh('2024-03-01T20:00'), sh('2024-03-03T20:00'));
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 04:00', 'orange@03-02 08:00', 'red@03-02 20:00']);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('starts counting at the first reading when it shows no activity, and decides nothing yet', () => {
    const { read, report, seen, model } = setup();
    read(meter, sh('2024-03-01T20:00'), 0);
    expect(seen()).toEqual([]);
    expect(model.size).toBe(1);
    report(sh('2024-03-01T20:00'), sh('2024-03-02T12:30'), [sh('2024-03-02T12:30')]);
    expect(seen()).toEqual(['yellow@03-02 12:00', 'ok@03-02 12:30']);
  });

  it('an active first reading means ok, so a restored alert can clear after a restart', () => {
    const { read, detections } = setup();
    read(meter, sh('2024-03-01T20:00'), 4.2);
    expect(detections).toHaveLength(1);
    expect(detections[0]).toMatchObject({ verdict: 'ok', key: 'hh-1', eventTime: sh('2024-03-01T20:00'), summary: 'water use seen' });
  });

  it('decides on event time: a late active reading clears, an older one does not move lastActive back', () => {
    const { read, report, seen } = setup();
    read(meter, sh('2024-03-01T20:00'), 4.2);
    report(sh('2024-03-01T20:00'), sh('2024-03-02T12:00'));
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 12:00']);
    // An NB-IoT batch delivers use at 11:00, after yellow was raised.
    read(meter, sh('2024-03-02T11:00'), 4.2);
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 12:00', 'ok@03-02 11:00']);
    read(meter, sh('2024-03-01T21:00'), 4.2); // older use: nothing changes
    report(sh('2024-03-02T12:00'), sh('2024-03-02T19:00'));
    // Yellow again 8h of active time after 11:00 (21:00 the day before would have given 13:00).
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 12:00', 'ok@03-02 11:00', 'yellow@03-02 19:00']);
  });

  it('a late activity lowers the alert only to the level its own time still reaches, never clears it early', () => {
    const { read, report, seen, detections } = setup({ activeHours: undefined }, sh('2024-03-01T08:00'));
    read(meter, sh('2024-03-01T08:00'), 4.2);
    report(sh('2024-03-01T08:00'), sh('2024-03-01T21:00'));
    expect(seen()).toEqual(['ok@03-01 08:00', 'yellow@03-01 16:00', 'orange@03-01 20:00']);
    // At 21:00 a store-and-forward gateway delivers use from 11:00: 10h without use still stand.
    read(meter, sh('2024-03-01T11:00'), 4.2);
    expect(seen()).toEqual(['ok@03-01 08:00', 'yellow@03-01 16:00', 'orange@03-01 20:00', 'yellow@03-01 11:00']);
    expect(detections.at(-1)!.summary).toBe('no water use for 8h: the water use reported was older');
    report(sh('2024-03-01T21:00'), sh('2024-03-02T00:00'));
    // Orange again 12h after 11:00; no ok in between, so no clear and no second alert.
    expect(seen().slice(4)).toEqual(['orange@03-01 23:00']);
  });

  it('keyed by subject: activity on either of a household\'s meters counts', () => {
    const kitchen = makeContext({ deviceId: 'wm-k', type: 'water_meter', subject: { id: 'hh-2', livingAlone: true } });
    const bath = makeContext({ deviceId: 'wm-b', type: 'water_meter', subject: { id: 'hh-2', livingAlone: true } });
    const { read, seen, model, detections } = setup();
    read(kitchen, sh('2024-03-01T20:00'), 4.2);
    for (let t = sh('2024-03-01T20:15'); t <= sh('2024-03-02T20:00'); t += 15 * MINUTE) {
      read(kitchen, t, 0);
      read(bath, t, t === sh('2024-03-02T09:00') ? 3 : 0);
    }
    expect(seen()).toEqual(['ok@03-01 20:00', 'yellow@03-02 17:00']);
    expect(detections.every((d) => d.key === 'hh-2')).toBe(true);
    expect(model.size).toBe(1);
  });
});

describe('inactivity versus offline on a silent meter', () => {
  const offlineScenario: OfflineScenario = {
    id: 'meter-offline',
    name: 'Meter offline',
    category: 'device',
    model: 'offline',
    appliesTo: { deviceTypes: ['water_meter'] },
    keyBy: 'device',
    alert: { cooldownMs: 0, flapping: { maxChanges: 5, windowMs: 3_600_000 } },
    dispatch: false,
    levels: { yellow: 1 * HOUR, orange: 6 * HOUR },
  };

  it('offline raises while inactivity stops counting after maxSilenceMs, and resumes with the meter', () => {
    const scheduler = new ManualScheduler(sh('2024-03-01T20:00'));
    const inactivity: Detection[] = [];
    const offline: Detection[] = [];
    const inactivityModel = createInactivityModel(scenario(), { scheduler, emit: (d) => inactivity.push(d) });
    const offlineModel = createOfflineModel(offlineScenario, { scheduler, emit: (d) => offline.push(d) });
    const read = (ts: number, flow: number) => {
      scheduler.advanceTo(ts);
      const reading = makeReading(meter, ts, { flow_lpm: flow });
      inactivityModel.onReading(reading);
      offlineModel.onReading(reading);
      expect(scheduler.pendingCount).toBeLessThanOrEqual(2);
    };
    read(sh('2024-03-01T20:00'), 4.2);
    read(sh('2024-03-01T20:30'), 0);
    read(sh('2024-03-01T21:00'), 0);
    // Silent for a day and a half.
    scheduler.advanceTo(sh('2024-03-03T10:00'));
    const seen = (ds: Detection[]) => ds.map((d) => `${d.verdict}@${label(d.eventTime)}`);
    expect(seen(offline)).toEqual(['ok@03-01 20:00', 'yellow@03-01 22:00', 'orange@03-02 03:00']);
    expect(seen(inactivity)).toEqual(['ok@03-01 20:00']);

    // The meter returns without water use. Counted so far: 20:00–22:00 (the silence counts until
    // 21:00 + 2h, but only its part before 22:00 is active time); the rest of the gap is not
    // counted, so yellow (8h) comes after 6 more active hours: 16:00.
    read(sh('2024-03-03T10:00'), 0);
    for (let t = sh('2024-03-03T10:15'); t <= sh('2024-03-03T18:00'); t += 15 * MINUTE) read(t, 0);
    expect(seen(offline)).toEqual(['ok@03-01 20:00', 'yellow@03-01 22:00', 'orange@03-02 03:00', 'ok@03-03 10:00']);
    expect(seen(inactivity)).toEqual(['ok@03-01 20:00', 'yellow@03-03 16:00']);
  });
});

describe('inactivity scenario validation', () => {
  it('rejects bad levels, windows and expressions with ERR_SCENARIO_INVALID', () => {
    const make = (overrides: Partial<InactivityScenario>) => () =>
      createInactivityModel(scenario(overrides), { scheduler: new ManualScheduler(0), emit: () => undefined });
    const invalid = expect.objectContaining({ code: 'ERR_SCENARIO_INVALID' });
    expect(make({ levels: { yellow: 8 * HOUR, red: 4 * HOUR } })).toThrow(invalid);
    expect(make({ levels: {} })).toThrow(invalid);
    expect(make({ activeHours: { from: '06:00', to: '22' } })).toThrow(invalid);
    expect(make({ active: 'metrics.flow_lpm >' })).toThrow(invalid);
    expect(make({ maxSilenceMs: 0 })).toThrow(invalid);
  });
});
