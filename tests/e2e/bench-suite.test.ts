import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARTS, runSuite } from '../../bench/suite.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * The suite orchestrator itself (`npm run bench`), CI-sized: it runs each part as its own process,
 * collects every part's files into `<out>/<mode>/` and writes the summary. Two quick parts run here;
 * every part's own harness has its smoke test (bench-latency, bench-timers-memory, bench-replay,
 * detection-quality).
 */
describe('benchmark suite (tiny)', () => {
  const dir = useTempDir('rw-bench-suite-');

  it('runs the chosen parts in their own processes and writes a summary that shows what was and was not measured', async () => {
    const result = await runSuite({ full: false, tiny: true, only: 'memory,detection', out: dir(), quiet: true });
    expect(result.out).toBe(join(dir(), 'tiny'));
    expect(result.runs.map((r) => [r.name, r.ok])).toEqual([['memory', true], ['detection', true]]);
    for (const file of ['memory-2000.json', 'memory.md', 'detection.json', 'detection.md', 'summary.json', 'summary.md']) {
      expect({ file, exists: existsSync(join(result.out, file)) }).toEqual({ file, exists: true });
    }
    const memory = result.headlines.find((h) => h.item === 4)!;
    expect(memory.measure).toBe('heap per device at 2,000 devices');
    expect(memory.value).toMatch(/^\d[\d,]* B$/);
    const detection = result.headlines.find((h) => h.item === 7)!;
    expect(detection.value).toMatch(/^\d+ of \d+, \d+ false alarms/);
    // The parts that did not run are listed as not measured, not dropped.
    expect(result.headlines.filter((h) => h.value === 'not measured').map((h) => h.item)).toEqual([1, 2, 3, 5, 6, 8]);

    const summary = readFileSync(join(result.out, 'summary.md'), 'utf8');
    expect(summary).toContain('| # | benchmark | measured | target | |');
    expect(summary).toContain('### detection'); // each part's own tables follow
    const json = JSON.parse(readFileSync(join(result.out, 'summary.json'), 'utf8')) as { mode: string; rounds: number; runs: unknown[]; machine: { cpus: number } };
    expect(json.mode).toBe('tiny');
    expect(json.rounds).toBe(1); // --tiny: one round, written straight into tiny/
    expect(existsSync(join(result.out, 'round-1'))).toBe(false);
    expect(json.machine.cpus).toBeGreaterThan(0);
  }, 120_000);

  it('runs every part once per round, each round into its own directory, and summarises the median with the spread', async () => {
    const result = await runSuite({ full: false, tiny: true, only: 'memory', out: dir(), quiet: true, rounds: 2 });
    expect(result.rounds).toBe(2);
    expect(result.runs.map((r) => [r.name, r.round, r.ok])).toEqual([['memory', 1, true], ['memory', 2, true]]);
    for (const round of [1, 2]) expect(existsSync(join(result.out, `round-${round}`, 'memory-2000.json'))).toBe(true);
    expect(existsSync(join(result.out, 'memory-2000.json'))).toBe(false); // no round writes over another
    const memory = result.headlines.find((h) => h.item === 4)!;
    expect(memory.rounds).toHaveLength(2);
    expect(memory.rounds.every((v) => typeof v === 'number')).toBe(true);
    expect(memory.spread!.min).toBeLessThanOrEqual(memory.spread!.max);
    expect([1, 2]).toContain(memory.medianRound);
    const summary = readFileSync(join(result.out, 'summary.md'), 'utf8');
    expect(summary).toContain('| # | benchmark | measured (median round) | spread (min–max) | every round | target | |');
    expect(summary).toMatch(/\| heap per device at 2,000 devices \| [\d,]+ B \(round [12]\) \| heap per device [\d,]+–[\d,]+ B \| [\d,]+ B, [\d,]+ B \|/);
    expect(summary).toContain('## Round 2 (round-2/)');
  }, 120_000);

  it('has a part for every benchmark of the issue, each with quick, full and tiny arguments', () => {
    expect(PARTS.map((p) => p.name)).toEqual(['latency', 'timers', 'memory', 'replay', 'detection', 'burst']);
    for (const part of PARTS) expect(Object.keys(part.args).sort()).toEqual(['full', 'quick', 'tiny']);
  });
});
