import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentLabel, RecordedMessage } from '../../src/contracts/recording.js';
import { riskwatch, until } from '../helpers/cli-process.js';
import { startTestEngine, type TestEngine } from '../helpers/engine-harness.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('riskwatch simulate (built bin)', () => {
  const dir = useTempDir('rw-simulate-');
  let proc: ChildProcess | undefined;
  let engine: TestEngine | undefined;
  afterEach(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    proc = undefined;
    await engine?.stop();
    engine = undefined;
  });

  async function fastRun(name: string): Promise<{ recording: Buffer; labels: Buffer; output: string }> {
    const out = join(dir(), `${name}.ndjson`);
    const labels = join(dir(), `${name}.labels.ndjson`);
    const run = riskwatch(['simulate', '--fast', '--households', '60', '--seed', '5', '--duration', '12h', '--incidents', '4', '--batch', '--out', out, '--labels', labels]);
    proc = run.child;
    const [code] = await once(proc, 'exit');
    expect(code, run.output()).toBe(0);
    return { recording: readFileSync(out), labels: readFileSync(labels), output: run.output() };
  }

  it('--fast writes a recording and its labels for a generated city, byte-identical across runs', async () => {
    const first = await fastRun('a');
    const second = await fastRun('b');
    expect(first.recording.equals(second.recording)).toBe(true);
    expect(first.labels.equals(second.labels)).toBe(true);

    const lines = first.recording.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedMessage);
    expect(first.output).toContain(`wrote ${lines.length} messages`);
    const start = Date.parse('2026-03-02T00:00:00+08:00');
    expect(lines[0]!.t).toBeGreaterThanOrEqual(start);
    expect(lines.at(-1)!.t).toBeLessThan(start + 12 * 3_600_000);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.t).toBeGreaterThanOrEqual(lines[i - 1]!.t);
    expect(lines.some((l) => Array.isArray((l.payload as { readings?: unknown }).readings))).toBe(true); // --batch

    const labels = first.labels.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as IncidentLabel);
    expect(labels.map((l) => l.kind)).toEqual(['elderly_no_water', 'tap_left_running', 'gas_leak', 'smoke']);
    const topics = new Set(lines.map((l) => l.topic));
    for (const label of labels) for (const id of label.deviceIds) expect(topics.has(`rw/telemetry/${id}`)).toBe(true);
  });

  it('refuses contradictory flags with a coded error', async () => {
    const run = riskwatch(['simulate', '--fast', '--url', 'mqtt://127.0.0.1:1', '--out', join(dir(), 'x.ndjson')]);
    proc = run.child;
    const [code] = await once(proc, 'exit');
    expect(code).toBe(1);
    expect(run.output()).toContain('ERR_CONFIG_INVALID');
  });

  // A live run is paced by the wall clock by design; the test waits for messages to arrive at the
  // engine, not for any engine timer.
  it('live: publishes the demo fleet to a real engine at the requested rate, every message accepted', async () => {
    engine = await startTestEngine(dir());
    const rate = 250;
    // A day ago: the fleet has a day of traffic to catch up on, so it publishes at the full rate.
    const run = riskwatch(['simulate', '--url', engine.url, '--rate', String(rate), '--start', 'now-1d', '--seed', '3']);
    proc = run.child;
    const counters = engine.engine.counters;
    await until(() => (counters.messages >= rate * 2 ? true : undefined), `2 s of messages\n${run.output()}`, 20_000);
    proc.kill('SIGINT');
    const [code] = await once(proc, 'exit');
    expect(code, run.output()).toBe(0);

    const summary = /sent (\d+) messages \((\d+) readings\) in ([\d.]+) s, (\d+) msg\/s/.exec(run.output());
    expect(summary, run.output()).not.toBeNull();
    const [, sent, , , achieved] = summary!.map(Number);
    expect(achieved).toBeGreaterThan(rate * 0.8);
    expect(achieved).toBeLessThan(rate * 1.2);
    expect(run.output()).toMatch(/\d+ messages, \d+ msg\/s, simulated 20\d\d-/); // the progress line
    await until(() => (counters.messages === sent ? true : undefined), `the engine to count ${sent} messages (has ${counters.messages})`);
    expect(counters.rejected).toBe(0);
  });
});
