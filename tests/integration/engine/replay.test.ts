import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/contracts/alert.js';
import type { RecordedMessage } from '../../../src/contracts/recording.js';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { replay } from '../../../src/engine/replay.js';
import { parseRecordingLine, readRecording } from '../../../src/ingest/recording-reader.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine-harness.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const start = Date.parse('2026-11-23T06:00:00+08:00'); // a Monday

/**
 * 30 hours of a small fleet: an elderly resident living alone who uses no water (wm-0003), a
 * neighbour who does (wm-0001), a meter that goes silent after an hour (wm-0005), and a gas
 * detector whose reading climbs through the thresholds (gd-0002).
 */
function recording(): RecordedMessage[] {
  const lines: RecordedMessage[] = [];
  let total = 10;
  for (let t = start; t <= start + 30 * HOUR; t += 15 * MINUTE) {
    const local = new Date(t + 8 * HOUR); // Asia/Shanghai, no DST
    const using = (local.getUTCHours() === 7 || local.getUTCHours() === 19) && local.getUTCMinutes() === 0; // a 15-minute use
    total += using ? 0.05 : 0;
    lines.push({ t, topic: 'rw/telemetry/wm-0003', payload: { ts: t, metrics: { flow_lpm: 0, total_m3: 12 } } });
    lines.push({ t, topic: 'rw/telemetry/wm-0001', payload: { ts: t, metrics: { flow_lpm: using ? 5 : 0, total_m3: total } } });
    if (t <= start + HOUR) lines.push({ t, topic: 'rw/telemetry/wm-0005', payload: { ts: t, metrics: { flow_lpm: 0, total_m3: 3 } } });
    if (t >= start + 3 * HOUR && t <= start + 5 * HOUR) {
      const lel = Math.min(40, ((t - start - 3 * HOUR) / MINUTE) * 0.3);
      lines.push({ t, topic: 'rw/telemetry/gd-0002', payload: { ts: t, metrics: { gas_lel_pct: Math.round(lel * 10) / 10 } } });
    }
  }
  return lines;
}

const summary = (e: AlertEvent) => [e.type, e.alert.scenarioId, e.alert.key, e.alert.level, e.at];

describe('replay (recorded fleet traffic on a virtual clock)', () => {
  const dir = useTempDir('rw-replay-');
  const engines: TestEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
  });

  async function engineAt(t: number, name = 'engine') {
    const clock = new ManualScheduler(t);
    const running = await startTestEngine(join(dir(), name), {}, clock);
    engines.push(running);
    const alerts: AlertEvent[] = [];
    running.engine.on('alert', (e) => alerts.push(e));
    return { engine: running.engine, clock, alerts };
  }

  it('gives the same alerts and orders as the same traffic fed live on the virtual clock', async () => {
    const messages = recording();
    const file = join(dir(), 'recording.ndjson');
    writeFileSync(file, `${messages.map((m) => JSON.stringify(m)).join('\n')}\n`);

    const replayed = await engineAt(start, 'replayed');
    const result = await replay(replayed.engine, replayed.clock, readRecording(file), { settleEvery: 64 });
    expect(result).toMatchObject({ messages: messages.length, from: start, to: start + 30 * HOUR, outOfOrder: 0, rejected: 0 });

    // Live: the same messages one at a time, every timer firing at its instant and everything it
    // sets off settled before the clock moves on — what a running engine on the wall clock does.
    const live = await engineAt(start, 'live');
    for (const m of messages) {
      while (live.clock.nextDueAt <= m.t) {
        live.clock.advanceTo(live.clock.nextDueAt);
        await live.engine.settle();
      }
      live.clock.advanceTo(m.t);
      live.engine.ingest(m.topic, Buffer.from(JSON.stringify(m.payload)));
      await live.engine.settle();
    }
    await live.engine.flush();

    expect(replayed.alerts.map(summary)).toEqual(live.alerts.map(summary));
    const scenarios = new Set(replayed.alerts.map((e) => e.alert.scenarioId));
    expect(scenarios).toEqual(new Set(['elderly-no-water', 'meter-offline', 'gas-concentration']));
    const orders = (e: typeof live) => e.engine.listOrders({ limit: 500 }).items.map((o) => [o.scenarioId, o.level, o.tier, o.status, o.createdAt, o.overdueCount]).sort();
    expect(orders(replayed)).toEqual(orders(live));
    expect(result.ordersCreated).toBe(replayed.engine.listOrders({}).total);
  });

  it('replays the same from the file chunk by chunk, from an array and from an async iterable of messages', async () => {
    const messages = recording();
    const file = join(dir(), 'recording.ndjson');
    writeFileSync(file, `${messages.map((m) => JSON.stringify(m)).join('\n')}\n`);
    const encoded = messages.map((m) => ({ t: m.t, topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)) }));
    async function* oneByOne() {
      for (const m of encoded) yield m;
    }
    const runs = [];
    for (const [name, input] of [['chunks', readRecording(file, { chunkBytes: 4096 })], ['array', encoded], ['async', oneByOne()]] as const) {
      const run = await engineAt(start, name);
      const { wallMs: _wall, ...result } = await replay(run.engine, run.clock, input, { settleEvery: 64 });
      runs.push({ result, alerts: run.alerts.map(summary), clock: run.clock.now() });
    }
    expect(runs[0]!.result).toMatchObject({ messages: messages.length, from: start, to: start + 30 * HOUR, rejected: 0 });
    expect(runs[0]!.alerts.length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('reads lines as simulate writes them without parsing the payload, and any other JSON shape in full', () => {
    const fast = parseRecordingLine('{"t":5,"topic":"rw/telemetry/a\\"b","payload":{"metrics":{"x":1}}}', 1);
    expect(fast).toEqual({ t: 5, topic: 'rw/telemetry/a"b', payload: Buffer.from('{"metrics":{"x":1}}') });
    const reordered = parseRecordingLine('{"topic":"rw/telemetry/a","payload":{"ts":5,"metrics":{}},"t":5}', 2);
    expect(JSON.parse(reordered.payload.toString())).toEqual({ ts: 5, metrics: {} });
    expect(() => parseRecordingLine('{"t":"soon","topic":"x","payload":{}}', 7)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION', details: { line: 7 } }));
    expect(() => parseRecordingLine('not json', 8)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
  });

  it('feeds a message whose time goes backwards at the current time, and counts it', async () => {
    const { engine, clock } = await engineAt(start);
    const payload = (t: number) => Buffer.from(JSON.stringify({ ts: t, metrics: { flow_lpm: 0, total_m3: 1 } }));
    const result = await replay(engine, clock, [
      { t: start + 2 * MINUTE, topic: 'rw/telemetry/wm-0001', payload: payload(start + 2 * MINUTE) },
      { t: start + MINUTE, topic: 'rw/telemetry/wm-0001', payload: payload(start + MINUTE) },
    ]);
    expect(result).toMatchObject({ messages: 2, outOfOrder: 1, rejected: 0 });
    expect(clock.now()).toBe(start + 2 * MINUTE);
  });
});
