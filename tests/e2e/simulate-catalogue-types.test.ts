import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedMessage } from '../../src/contracts/recording.js';
import { riskwatch } from '../helpers/cli-process.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * A registry with the device types that exist only as catalogue entries (electricity_meter,
 * fall_detector): `riskwatch simulate --fast` runs them on the generic catalogue-driven model, and
 * `riskwatch replay` puts the recording through the whole engine. No personal data.
 */
const REGISTRY = `
places:
  - { id: st-1, kind: street, name: Street 1, timeZone: Asia/Shanghai }
  - { id: cm-1, kind: community, name: Community 1, parent: st-1 }
  - { id: gr-1, kind: grid, name: Grid 1, parent: cm-1 }
subjects:
  - { id: hh-1, kind: household, place: gr-1, livingAlone: true, age: 81, tags: [elderly] }
  - { id: hh-2, kind: household, place: gr-1, livingAlone: true, age: 68, tags: [elderly] }
  - { id: hh-3, kind: household, place: gr-1, livingAlone: false, age: 41 }
# The departments the shipped dispatch policy routes to.
departments:
  - { id: gas-company, kind: gas, name: Gas company }
  - { id: water-company, kind: water, name: Water company }
  - { id: fire-station, kind: fire, name: Fire station }
  - { id: property-management, kind: property, name: Property management }
devices:
  - { id: em-1, type: electricity_meter, subject: hh-1, reportEvery: 15m }
  - { id: fd-1, type: fall_detector, subject: hh-1, reportEvery: 30m }
  - { id: em-2, type: electricity_meter, subject: hh-2, reportEvery: 15m }
  - { id: fd-2, type: fall_detector, subject: hh-2, reportEvery: 30m }
  - { id: em-3, type: electricity_meter, subject: hh-3, reportEvery: 15m }
  - { id: wm-3, type: water_meter, subject: hh-3, reportEvery: 15m }
`;

describe('riskwatch simulate and replay with catalogue-only device types (built bin)', () => {
  const dir = useTempDir('rw-simulate-catalogue-');
  let proc: ChildProcess | undefined;
  afterEach(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    proc = undefined;
  });

  async function run(args: string[]): Promise<string> {
    const cli = riskwatch(args);
    proc = cli.child;
    const [code] = await once(proc, 'exit');
    expect(code, cli.output()).toBe(0);
    return cli.output();
  }

  it('--fast writes their readings reproducibly, batched where the catalogue says so, and the engine accepts every one', async () => {
    const registry = join(dir(), 'registry.yaml');
    writeFileSync(registry, REGISTRY);
    const simulate = (out: string) => run(['simulate', '--fast', '--registry', registry, '--seed', '9', '--duration', '2d', '--batch', '--out', join(dir(), out)]);
    await simulate('a.ndjson');
    await simulate('b.ndjson');
    const recording = readFileSync(join(dir(), 'a.ndjson'));
    expect(recording.equals(readFileSync(join(dir(), 'b.ndjson')))).toBe(true);

    const lines = recording.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedMessage);
    const of = (id: string) => lines.filter((l) => l.topic === `rw/telemetry/${id}`);
    for (const id of ['em-1', 'em-2', 'em-3', 'fd-1', 'fd-2', 'wm-3']) expect(of(id).length, id).toBeGreaterThan(0);
    // Electricity meters upload NB-IoT batches (catalogue: batches: true): 4 intervals an hour for 2 days.
    const meterReadings = of('em-1').flatMap((l) => (l.payload as { readings: Array<{ metrics: Record<string, unknown> }> }).readings);
    expect(meterReadings).toHaveLength(2 * 24 * 4);
    expect(Object.keys(meterReadings[0]!.metrics)).toEqual(['power_w', 'total_kwh', 'supply_on', 'signal_dbm']);
    expect(meterReadings.some((r) => (r.metrics.power_w as number) > 100)).toBe(true); // power use shows
    // The wearable reports alone, every 30 minutes, and never sends the wearer's answer unasked.
    const wearable = of('fd-1');
    expect(wearable.every((l) => 'metrics' in (l.payload as object))).toBe(true);
    expect(wearable).toHaveLength(2 * 24 * 2);
    expect(wearable.some((l) => 'resident_ok' in (l.payload as { metrics: object }).metrics)).toBe(false);

    const output = await run(['replay', join(dir(), 'a.ndjson'), '--registry', registry, '--data', join(dir(), 'replay'), '--drain', '1h']);
    const summary = /replayed ([\d,]+) messages .* (\d+) alert events, (\d+) orders, (\d+) rejected, (\d+) out of order/.exec(output);
    expect(summary, output).not.toBeNull();
    expect(Number(summary![1]!.replace(/,/g, ''))).toBe(lines.length);
    expect(Number(summary![4])).toBe(0); // rejected
    // Two days of ordinary life in three homes: no elderly resident looks inactive, nobody fell.
    expect(Number(summary![2])).toBe(0);
  }, 120_000);
});
