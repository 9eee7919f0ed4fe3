import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, parseFlags } from './bench-environment.js';
import { headlines, type Headline } from './suite-headlines.js';

/**
 * `npm run bench` (quick, about 2 minutes) and `npm run bench -- --full`: every benchmark of issue 4,
 * one after the other, each in its own Node process (a clean heap for the memory figures, no
 * engine left over from the previous one). Each writes `<name>.json` and `<name>.md` (the latency
 * run also `latency-cdf.svg`) into `bench/results/<mode>/`; the suite then writes `summary.md` and
 * `summary.json` there: the headline figure of each benchmark beside its target, then every
 * benchmark's own tables.
 *
 * `--tiny` is the CI-sized configuration the tests run, so the harness cannot rot.
 * `--only latency,detection` runs a subset. A benchmark that fails is reported and the rest still run;
 * the exit code is then 1.
 */
export interface SuiteOptions {
  full: boolean;
  tiny: boolean;
  /** Comma-separated part names; empty: all. */
  only: string;
  /** Results go to `<out>/<mode>`. */
  out: string;
  /** Show each part's own output (off in tests: the summary is what they check). */
  quiet?: boolean;
}

export const DEFAULT_SUITE_OPTIONS: Readonly<SuiteOptions> = { full: false, tiny: false, only: '', out: 'bench/results' };

type Mode = 'quick' | 'full' | 'tiny';

interface Part {
  name: string;
  script: string;
  /** Heap limit for the part's process (MiB); the million-device parts need more than the default. */
  heapMiB?: number;
  args: Record<Mode, string[]>;
}

export const PARTS: readonly Part[] = [
  {
    name: 'latency', script: 'latency',
    args: {
      quick: [],
      full: ['--full'],
      tiny: ['--devices', '3000', '--seconds', '1', '--rates', '300,1000', '--throughput-rates', '2000', '--node-red-throughput-rates', '1000'],
    },
  },
  {
    name: 'timers', script: 'timers', heapMiB: 8192,
    args: { quick: ['--devices', '100000', '--grace-seconds', '5', '--skip-baseline'], full: ['--full'], tiny: ['--devices', '2000', '--window-seconds', '2', '--grace-seconds', '5'] },
  },
  {
    name: 'memory', script: 'memory', heapMiB: 8192,
    args: { quick: ['--devices', '100000'], full: ['--devices', '100000,1000000'], tiny: ['--devices', '2000'] },
  },
  {
    name: 'replay', script: 'replay',
    args: { quick: [], full: ['--full'], tiny: ['--households', '200', '--hours', '6'] },
  },
  {
    name: 'detection', script: 'detection',
    args: { quick: [], full: ['--full'], tiny: ['--households', '150', '--days', '1', '--incidents', '6'] },
  },
];

export interface PartRun {
  name: string;
  ok: boolean;
  seconds: number;
  /** Exit code or signal when it failed. */
  failure?: string;
}

/** The compiled part (`dist/bench/x.js`) or, when the suite itself runs from source (tests), the TS source through tsx. */
function command(part: Part, mode: Mode, out: string): { file: string; args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${part.script}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const node = ['--expose-gc', ...(part.heapMiB ? [`--max-old-space-size=${part.heapMiB}`] : []), ...(fromSource ? ['--import', 'tsx'] : [])];
  return { file: process.execPath, args: [...node, file, ...part.args[mode], '--out', out, '--name', part.name] };
}

function runPart(part: Part, mode: Mode, out: string, quiet: boolean): Promise<PartRun> {
  const { file, args } = command(part, mode, out);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      resolve(code === 0 ? { name: part.name, ok: true, seconds } : { name: part.name, ok: false, seconds, failure: signal ?? `exit code ${code}` });
    });
  });
}

const readText = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

export async function runSuite(options: SuiteOptions): Promise<{ out: string; runs: PartRun[]; headlines: Headline[] }> {
  const mode: Mode = options.tiny ? 'tiny' : options.full ? 'full' : 'quick';
  const out = join(options.out, mode);
  mkdirSync(out, { recursive: true });
  const wanted = options.only ? new Set(options.only.split(',').map((s) => s.trim())) : undefined;
  const parts = PARTS.filter((p) => !wanted || wanted.has(p.name));
  const runs: PartRun[] = [];
  for (const part of parts) {
    if (!options.quiet) console.log(`\n=== ${part.name} (${mode}) ===`);
    runs.push(await runPart(part, mode, out, options.quiet ?? false));
  }
  const lines = headlines(out);
  const env = environment();
  const summary = {
    mode, at: new Date().toISOString(), ...env, runs, headlines: lines,
  };
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const table = [
    `## Benchmark suite (${mode}) — ${env.machine.cpus} cores (${env.machine.cpuModel}), ${env.machine.memoryGiB} GiB, Node ${env.versions.node}`,
    '',
    '| # | benchmark | measured | target | |',
    '|---|---|---|---|---|',
    ...lines.map((h) => `| ${h.item} | ${h.measure} | ${h.value} | ${h.target} | ${h.met === null ? '' : h.met ? 'met' : '**missed**'} |`),
    '',
    `Parts: ${runs.map((r) => `${r.name} ${r.ok ? `${r.seconds} s` : `**failed** (${r.failure})`}`).join(', ')}.`,
    '',
    ...parts.map((p) => readText(join(out, `${p.name}.md`))),
  ].join('\n');
  writeFileSync(join(out, 'summary.md'), table);
  return { out, runs, headlines: lines };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_SUITE_OPTIONS);
  const result = await runSuite(options);
  console.log(`\n${readFileSync(join(result.out, 'summary.md'), 'utf8').split('\n\n### ')[0]}`);
  console.log(`\nwritten to ${result.out}/`);
  process.exit(result.runs.every((r) => r.ok) ? 0 : 1);
}
