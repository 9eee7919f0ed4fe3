import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headlines } from '../../../bench/suite-headlines.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const p = (p50: number, p99: number) => ({ count: 100, p50, p99, p999: p99, max: p99 });
const targets = { p99MsAt20k: 10, ratioToAedesHop: 1.5, msgPerSec: 50_000, timesNodeRed: 3 };

describe('suite summary headlines', () => {
  const dir = useTempDir('rw-headlines-');
  const write = (name: string, value: unknown) => writeFileSync(join(dir(), `${name}.json`), JSON.stringify(value));

  it('says "not measured" for every benchmark that wrote nothing, never leaves it out', () => {
    const lines = headlines(dir());
    expect(lines.map((l) => l.item)).toEqual([1, 2, 3, 4, 5, 6, 7]);
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
      throughput: [{ system: 'riskwatch', bestMsgPerSec: 75_000, stoppedBecause: '100,000 msg/s: p99 1200 ms ≥ 1 s' }, { system: 'Node-RED', bestMsgPerSec: 20_000, stoppedBecause: 'x' }],
      throughputRatioToNodeRed: 3.8,
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
    expect(byMeasure('max sustained')[0]).toMatchObject({ met: true });
    expect(byMeasure('bare aedes hop at 20,000')[0]).toMatchObject({ met: false, value: '10× / 6×' });
    expect(byMeasure('Node-RED')[0]).toMatchObject({ met: true, value: '3.8× (Node-RED 20,000 msg/s)' });
    expect(byMeasure('armed offline timers')[0]).toMatchObject({ met: true, value: '40 ms (900 ms)' });
    expect(byMeasure('heap per device').map((l) => [l.measure, l.met])).toEqual([
      ['heap per device at 100,000 devices', true],
      ['heap per device at 1,000,000 devices', false],
    ]);
    expect(byMeasure('replay')[0]).toMatchObject({ met: false, value: '600,000 readings/s' });
    expect(byMeasure('detection')[0]).toMatchObject({ met: true, value: '24 of 24, 0 false alarms (0)' });
  });

  it('does not call the timer target met when some timers never fired', () => {
    write('timers', { config: { devices: 1_000_000, windowSeconds: 30 }, detectionLatenessMs: { ...p(1, 40), count: 814_034 }, announcementLatenessMs: p(5, 900) });
    expect(headlines(dir()).find((l) => l.item === 3)!.met).toBe(false);
  });
});
