import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineRounds, headlines, type Headline } from '../../../bench/suite-headlines.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const p = (p50: number, p99: number) => ({ count: 100, p50, p99, p999: p99, max: p99 });
const targets = { p99MsAt20k: 10, msgPerSec: 150_000, timesNodeRed: 3, p50ToDurableHop: 1.5 };

describe('suite summary headlines', () => {
  const dir = useTempDir('rw-headlines-');
  const write = (name: string, value: unknown) => writeFileSync(join(dir(), `${name}.json`), JSON.stringify(value));

  it('says "not measured" for every benchmark that wrote nothing, never leaves it out', () => {
    const lines = headlines(dir());
    expect(lines.map((l) => l.item)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(lines.every((l) => l.value === 'not measured' && l.met === null)).toBe(true);
  });

  it('judges each figure against its target, met and missed alike', () => {
    write('latency', {
      config: { devices: 100_000 },
      latency: [
        { system: 'bare aedes hop', rate: 20_000, latencyMs: p(0.2, 2), missing: 0, lost: null },
        { system: 'riskwatch', rate: 1_000, latencyMs: p(1, 3), missing: 0, lost: 0 },
        { system: 'riskwatch', rate: 20_000, latencyMs: p(2, 12), missing: 0, lost: 0 },
      ],
      ratioToAedesHop: [{ rate: 20_000, p50: 10, p99: 6 }],
      ratioToDurableHop: [{ rate: 1_000, p50: 1.4, p99: 3 }, { rate: 20_000, p50: 2.5, p99: 2 }],
      throughput: [{ system: 'riskwatch', bestMsgPerSec: 175_000, stoppedBecause: '200,000 msg/s: p99 1200 ms ≥ 1 s' }, { system: 'Node-RED', bestMsgPerSec: 50_000, stoppedBecause: 'x' }],
      throughputRatioToNodeRed: 3.5,
      targets,
    });
    write('timers', { config: { devices: 1_000_000, windowSeconds: 30 }, detectionLatenessMs: { ...p(1, 40), count: 1_000_000 }, announcementLatenessMs: p(5, 900) });
    write('memory-100000', { config: { devices: 100_000 }, heap: { perDeviceBytes: 940 } });
    write('memory-1000000', { config: { devices: 1_000_000 }, heap: { perDeviceBytes: 1_100 } });
    write('replay', { readings: 2_000_000, readingsPerSecond: 600_000 });
    write('detection', { config: { households: 1_000, days: 2 }, totals: { incidents: 24, detected: 24, missed: 0, falseAlarms: 0, falseAlarmsPer1000DeviceDays: 0 } });

    const byMeasure = (part: string) => headlines(dir()).filter((l) => l.measure.includes(part));
    expect(byMeasure('at 1,000 msg/s')[0]!.met).toBeNull(); // no target below 20k
    expect(byMeasure('publish → order at 20,000 msg/s')[0]).toMatchObject({ met: false, value: '2 / 12 / 12 / 12 ms' });
    expect(byMeasure('max sustained')[0]).toMatchObject({ met: true, target: '≥ 150,000 msg/s', figure: 175_000 });
    // The bare aedes hop is information now: no target, no verdict.
    expect(byMeasure('bare aedes hop at 20,000')[0]).toMatchObject({ met: null, target: '', value: '10× / 6×' });
    // The durable hop is the target, on p50 alone.
    expect(byMeasure('durable hop at 1,000')[0]).toMatchObject({ met: true, value: '1.4× / 3×', target: 'p50 ≤ 1.5×', figure: 1.4 });
    expect(byMeasure('durable hop at 20,000')[0]).toMatchObject({ met: false });
    expect(byMeasure('Node-RED')[0]).toMatchObject({ met: true, value: '3.5× (Node-RED 50,000 msg/s)' });
    expect(byMeasure('armed offline timers')[0]).toMatchObject({ met: true, value: '40 ms (900 ms)' });
    expect(byMeasure('heap per device').map((l) => [l.measure, l.met])).toEqual([
      ['heap per device at 100,000 devices', true],
      ['heap per device at 1,000,000 devices', false],
    ]);
    expect(byMeasure('replay')[0]).toMatchObject({ met: false, value: '600,000 readings/s' });
    expect(byMeasure('detection')[0]).toMatchObject({ met: true, value: '24 of 24, 0 false alarms (0)' });
  });

  it('reads a latency result without a durable hop (--skip-peers, or written before it existed)', () => {
    write('latency', {
      config: { devices: 100_000 }, latency: [], ratioToAedesHop: [{ rate: 20_000, p50: null, p99: null }],
      throughput: [{ system: 'riskwatch', bestMsgPerSec: null, stoppedBecause: '50,000 msg/s: 3 readings not taken in' }], throughputRatioToNodeRed: null, targets,
    });
    expect(headlines(dir()).find((l) => l.item === 2)).toMatchObject({ met: false, figure: 0, value: 'none (50,000 msg/s: 3 readings not taken in)' });
    expect(headlines(dir()).filter((l) => l.item === 6)).toEqual([]);
  });

  it('does not call the timer target met when some timers never fired', () => {
    write('timers', { config: { devices: 1_000_000, windowSeconds: 30 }, detectionLatenessMs: { ...p(1, 40), count: 814_034 }, announcementLatenessMs: p(5, 900) });
    expect(headlines(dir()).find((l) => l.item === 3)!.met).toBe(false);
  });
});

describe('headlines over several rounds', () => {
  const line = (measure: string, figure: number | null, better: 'lower' | 'higher' = 'lower'): Headline => ({
    item: 1, measure, value: figure === null ? 'not measured' : `${figure} ms`, target: '≤ 10 ms', met: figure === null ? null : figure <= 10,
    figure, figureName: 'p99', unit: ' ms', better,
  });

  it("shows the median round's line with every round's figure and the spread", () => {
    const [combined] = combineRounds([[line('p99', 12)], [line('p99', 7)], [line('p99', 9)]]);
    expect(combined).toMatchObject({ value: '9 ms', met: true, rounds: [12, 7, 9], spread: { min: 7, max: 12 }, medianRound: 3 });
  });

  it('takes the worse of the two middle rounds when their number is even', () => {
    expect(combineRounds([[line('p99', 8)], [line('p99', 11)], [line('p99', 2)], [line('p99', 9)]])[0]).toMatchObject({ value: '9 ms', medianRound: 4 });
    const higher = (figure: number) => line('best', figure, 'higher');
    expect(combineRounds([[higher(100)], [higher(200)]])[0]).toMatchObject({ value: '100 ms', medianRound: 1 });
  });

  it('keeps a line only some rounds measured, and a line none measured as not measured', () => {
    const combined = combineRounds([[line('a', 5), line('b', null)], [line('b', null)], [line('a', 6)]]);
    expect(combined.map((h) => [h.measure, h.rounds, h.spread, h.medianRound])).toEqual([
      ['a', [5, null, 6], { min: 5, max: 6 }, 3],
      ['b', [null, null, null], null, null],
    ]);
    expect(combined[1]!.value).toBe('not measured');
  });
});
