import { describe, expect, it } from 'vitest';
import type { DeviceType } from '../../../src/contracts/registry.js';
import { FleetSweep, Qos0Batch } from '../../../bench/load-publisher.js';
import { quietMetrics } from '../../../bench/fleet-feed.js';

const fleet: [string, DeviceType][] = [
  ['wm-0', 'water_meter'],
  ['gd-0', 'gas_detector'],
  ['sd-0', 'smoke_detector'],
  ['wm-1', 'water_meter'],
  ['gd-2', 'gas_detector'],
];

const sweepIds = (sweep: FleetSweep, n: number) => Array.from({ length: n }, () => sweep.next().id);

describe('the load publisher\'s background sweep', () => {
  it('continues where it stopped, wrapping round the fleet, and starts over only for a new system', () => {
    const sweep = new FleetSweep(fleet);
    expect(sweepIds(sweep, 3)).toEqual(['wm-0', 'gd-0', 'sd-0']);
    // A later step (another probe) goes on from the fourth device, not from the first.
    expect(sweepIds(sweep, 4)).toEqual(['wm-1', 'gd-2', 'wm-0', 'gd-0']);
    sweep.reset();
    expect(sweepIds(sweep, 2)).toEqual(['wm-0', 'gd-0']);
  });

  it('sends a triggered device its alarm reading from then on, every other device a quiet reading of its own type', () => {
    const sweep = new FleetSweep(fleet);
    sweep.raise('gd-0');
    sweep.raise('gd-0'); // counted once
    sweep.raise('not-in-fleet'); // a hop's trigger outside the fleet: nothing to repeat
    expect(sweep.inAlarm).toBe(1);
    expect(sweep.isInAlarm('gd-0')).toBe(true);
    expect(sweep.isInAlarm('gd-2')).toBe(false);
    const readings = Array.from({ length: 10 }, () => sweep.next());
    for (const reading of readings.filter((r) => r.id === 'gd-0')) expect(reading).toEqual({ id: 'gd-0', metrics: { gas_lel_pct: 31 }, alarm: true });
    const quiet = readings.filter((r) => r.id !== 'gd-0');
    expect(quiet.every((r) => !r.alarm)).toBe(true);
    // gd-2 reads a quiet gas value (no threshold crossed), not the water meter's metrics.
    const gd2 = quiet.find((r) => r.id === 'gd-2')!;
    expect(Object.keys(gd2.metrics)).toEqual(Object.keys(quietMetrics('gas_detector', 0)));
    expect(gd2.metrics.gas_lel_pct as number).toBeLessThan(5);
  });

  it('forgets every alarm when a new system starts', () => {
    const sweep = new FleetSweep(fleet);
    sweep.raise('gd-0');
    sweep.raise('gd-2');
    sweep.reset();
    expect(sweep.inAlarm).toBe(0);
    expect(Array.from({ length: 5 }, () => sweep.next().alarm)).toEqual([false, false, false, false, false]);
  });
});

describe('QoS 0 PUBLISH batch', () => {
  function collect() {
    const chunks: Buffer[] = [];
    return { chunks, batch: new Qos0Batch((chunk) => chunks.push(chunk)) };
  }

  it('encodes MQTT 3.1.1 QoS 0 PUBLISH packets: 0x30, remaining length, topic length and topic, payload', () => {
    const { chunks, batch } = collect();
    batch.add('a/b', 'hi');
    expect(batch.flush()).toBe(1);
    expect([...chunks[0]!]).toEqual([0x30, 7, 0, 3, ...Buffer.from('a/bhi')]);
  });

  it('writes a multi-byte remaining length (variable byte integer) and counts UTF-8 bytes, not characters', () => {
    const { chunks, batch } = collect();
    const payload = 'x'.repeat(200);
    batch.add('t/°', payload); // '°' is two bytes in UTF-8
    batch.flush();
    const remaining = 2 + 4 + 200; // 206 = 0b1_1001110 → 0xCE 0x01
    expect([...chunks[0]!.subarray(0, 5)]).toEqual([0x30, 0xce, 0x01, 0, 4]);
    expect(chunks[0]!.length).toBe(3 + remaining);
    expect(chunks[0]!.subarray(5, 9).toString('utf8')).toBe('t/°');
  });

  it('hands one chunk per flush, in order, growing past its buffer, and nothing for an empty batch', () => {
    const { chunks, batch } = collect();
    for (let i = 0; i < 1_000; i++) batch.add(`rw/telemetry/d-${i}`, JSON.stringify({ ts: i, metrics: { pad: 'y'.repeat(100) } }));
    expect(batch.flush()).toBe(1_000);
    expect(batch.flush()).toBe(0);
    expect(chunks).toHaveLength(1);
    // Walk the packets back out of the chunk.
    const topics: string[] = [];
    const buffer = chunks[0]!;
    for (let at = 0; at < buffer.length; ) {
      expect(buffer[at]).toBe(0x30);
      let remaining = 0;
      let shift = 0;
      let byte: number;
      at++;
      do {
        byte = buffer[at++]!;
        remaining += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      const topicLength = buffer.readUInt16BE(at);
      topics.push(buffer.subarray(at + 2, at + 2 + topicLength).toString('utf8'));
      at += remaining;
    }
    expect(topics).toEqual(Array.from({ length: 1_000 }, (_, i) => `rw/telemetry/d-${i}`));
  });
});
