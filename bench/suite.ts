import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, parseFlags } from './bench-environment.js';
import { combineRounds, formatFigure, headlines, type Headline, type RoundsHeadline } from './suite-headlines.js';

/**
 * `npm run bench` (quick, about 6 minutes: the latency part's steps are 10 s) and
 * `npm run bench -- --full`: every benchmark of issue 4, one after the other, each in its own Node
 * process (a clean heap for the memory figures, no engine left over from the previous one). Each
 * writes `<name>.json` and `<name>.md` (the latency run also `latency-cdf.svg`); the suite then
 * writes `summary.md` and `summary.json` into `bench/results/<mode>/`: the headline figure of each
 * benchmark beside its target, then every benchmark's own tables.
 *
 * Rounds (`--rounds N`; default 3 with `--full`, else 1): the whole set of parts runs N times back
 * to back, because on a shared 2-core machine one round can be off by a factor and a single figure
 * cannot say whether it was. With more than one round each round writes into its own
 * `round-<k>/` directory (so no round overwrites another), and the summary shows, for each
 * headline, the median round's line, every round's figure and the spread (min–max)
 * (suite-headlines.ts, `combineRounds`). With one round the parts write straight into `<mode>/`.
 *
 * `--tiny` is the CI-sized configuration the tests run, so the harness cannot rot (one round unless
 * `--rounds` says otherwise). `--only latency,detection` runs a subset. A benchmark that fails is
 * reported and the rest still run; the exit code is then 1.
 */
export interface SuiteOptions {
  full: boolean;
  tiny: boolean;
  /** Comma-separated part names; empty: all. */
  only: string;
  /** Results go to `<out>/<mode>` (each round's parts to `<out>/<mode>/round-<k>` when there are several). */
  out: string;
  /** Rounds of every part; 0 or absent: 3 with `--full`, else 1. */
  rounds?: number;
  /** Show each part's own output (off in tests: the summary is what they check). */
  quiet?: boolean;
}

export const DEFAULT_SUITE_OPTIONS: Readonly<SuiteOptions> = { full: false, tiny: false, only: '', out: 'bench/results', rounds: 0 };

/** Rounds when `--rounds` is not given: three in `--full` (a median and a spread), one otherwise. */
const defaultRounds = (mode: Mode): number => (mode === 'full' ? 3 : 1);

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
  {
    name: 'burst', script: 'burst',
    args: { quick: [], full: ['--full'], tiny: ['--rounds', '2', '--burst', '50'] },
  },
];

export interface PartRun {
  name: string;
  /** 1-based. */
  round: number;
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

function runPart(part: Part, mode: Mode, out: string, round: number, quiet: boolean): Promise<PartRun> {
  const { file, args } = command(part, mode, out);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      resolve(code === 0 ? { name: part.name, round, ok: true, seconds } : { name: part.name, round, ok: false, seconds, failure: signal ?? `exit code ${code}` });
    });
  });
}

const readText = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Where round `round` of `rounds` writes its parts' files. */
export const roundDir = (out: string, round: number, rounds: number): string => (rounds === 1 ? out : join(out, `round-${round}`));

export async function runSuite(options: SuiteOptions): Promise<{ out: string; rounds: number; runs: PartRun[]; headlines: RoundsHeadline[] }> {
  const mode: Mode = options.tiny ? 'tiny' : options.full ? 'full' : 'quick';
  const rounds = options.rounds !== undefined && options.rounds >= 1 ? Math.floor(options.rounds) : defaultRounds(mode);
  const out = join(options.out, mode);
  mkdirSync(out, { recursive: true });
  const wanted = options.only ? new Set(options.only.split(',').map((s) => s.trim())) : undefined;
  const parts = PARTS.filter((p) => !wanted || wanted.has(p.name));
  const runs: PartRun[] = [];
  const perRound: Headline[][] = [];
  for (let round = 1; round <= rounds; round++) {
    const dir = roundDir(out, round, rounds);
    mkdirSync(dir, { recursive: true });
    for (const part of parts) {
      if (!options.quiet) console.log(`\n=== ${part.name} (${mode}${rounds > 1 ? `, round ${round} of ${rounds}` : ''}) ===`);
      runs.push(await runPart(part, mode, dir, round, options.quiet ?? false));
    }
    perRound.push(headlines(dir));
  }
  const lines = combineRounds(perRound);
  const env = environment();
  const summary = {
    mode, rounds, at: new Date().toISOString(), ...env, runs, headlines: lines,
  };
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const partTables = (dir: string) => parts.map((p) => readText(join(dir, `${p.name}.md`)));
  const table = [
    `## Benchmark suite (${mode}${rounds > 1 ? `, ${rounds} rounds` : ''}) — ${env.machine.cpus} cores (${env.machine.cpuModel}), ${env.machine.memoryGiB} GiB, Node ${env.versions.node}`,
    '',
    ...headlineTable(lines, rounds),
    '',
    `Parts: ${runs.map((r) => `${r.name}${rounds > 1 ? ` (round ${r.round})` : ''} ${r.ok ? `${r.seconds} s` : `**failed** (${r.failure})`}`).join(', ')}.`,
    '',
    ...(rounds === 1
      ? partTables(out)
      : Array.from({ length: rounds }, (_, k) => [`## Round ${k + 1} (round-${k + 1}/)`, '', ...partTables(roundDir(out, k + 1, rounds))]).flat()),
  ].join('\n');
  writeFileSync(join(out, 'summary.md'), table);
  return { out, rounds, runs, headlines: lines };
}

const verdict = (met: boolean | null) => (met === null ? '' : met ? 'met' : '**missed**');

/**
 * One round: measured, target, verdict. Several: the median round's line (which round it was),
 * every round's figure and the spread, then target and verdict (the median round's).
 */
function headlineTable(lines: readonly RoundsHeadline[], rounds: number): string[] {
  if (rounds === 1) {
    return [
      '| # | benchmark | measured | target | |',
      '|---|---|---|---|---|',
      ...lines.map((h) => `| ${h.item} | ${h.measure} | ${h.value} | ${h.target} | ${verdict(h.met)} |`),
    ];
  }
  const figure = (h: RoundsHeadline, v: number | null) => (v === null ? '–' : `${formatFigure(v)}${h.unit}`);
  return [
    `Each line is the median round's (of ${rounds}, by the figure named in the spread column; with an even number, the worse of the middle two); the target is judged on it.`,
    '',
    '| # | benchmark | measured (median round) | spread (min–max) | every round | target | |',
    '|---|---|---|---|---|---|---|',
    ...lines.map((h) => {
      const spread = h.spread === null ? '' : `${h.figureName} ${formatFigure(h.spread.min)}–${figure(h, h.spread.max)}`;
      const each = h.spread === null ? '' : h.rounds.map((v) => figure(h, v)).join(', ');
      const which = h.medianRound === null ? '' : ` (round ${h.medianRound})`;
      return `| ${h.item} | ${h.measure} | ${h.value}${which} | ${spread} | ${each} | ${h.target} | ${verdict(h.met)} |`;
    }),
  ];
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const options = parseFlags(process.argv.slice(2), DEFAULT_SUITE_OPTIONS);
  const result = await runSuite(options);
  // The headline table only: each part's own tables (and each round's) are in the file.
  console.log(`\n${readFileSync(join(result.out, 'summary.md'), 'utf8').split(/\n\n#{2,3} /)[0]}`);
  console.log(`\nwritten to ${result.out}/`);
  process.exit(result.runs.every((r) => r.ok) ? 0 : 1);
}
