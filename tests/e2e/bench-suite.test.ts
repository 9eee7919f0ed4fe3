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
    expect(result.headlines.filter((h) => h.value === 'not measured').map((h) => h.item)).toEqual([1, 2, 3, 5, 6]);

    const summary = readFileSync(join(result.out, 'summary.md'), 'utf8');
    expect(summary).toContain('| # | benchmark | measured | target | |');
    expect(summary).toContain('### detection'); // each part's own tables follow
    const json = JSON.parse(readFileSync(join(result.out, 'summary.json'), 'utf8')) as { mode: string; runs: unknown[]; machine: { cpus: number } };
    expect(json.mode).toBe('tiny');
    expect(json.machine.cpus).toBeGreaterThan(0);
  }, 120_000);

  it('has a part for every benchmark of the issue, each with quick, full and tiny arguments', () => {
    expect(PARTS.map((p) => p.name)).toEqual(['latency', 'timers', 'memory', 'replay', 'detection']);
    for (const part of PARTS) expect(Object.keys(part.args).sort()).toEqual(['full', 'quick', 'tiny']);
  });
});
