import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * What every benchmark result records beside its figures, and the small measuring tools the
 * timer and memory benchmarks share: machine, versions, a GC-settled heap reading and percentiles.
 */

export interface Percentiles { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number }

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentiles of `samples` (sorted in place). */
export function percentiles(samples: Float64Array): Percentiles {
  samples.sort();
  const count = samples.length;
  if (count === 0) return { count, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const at = (p: number) => samples[Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1))]!;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += samples[i]!;
  return { count, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), p999: round(at(0.999)), max: round(samples[count - 1]!), mean: round(sum / count) };
}

let collector: (() => void) | undefined;

/**
 * The full-GC function: `globalThis.gc` under `node --expose-gc`, else the same function enabled at
 * run time (V8 flag + a fresh context exposes it), so a test runner's worker can measure heap too.
 */
function gc(): void {
  if (!collector) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collector = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    }
  }
  collector();
}

/** Whether a full GC is available to the heap measurements (it always is once `settledHeap` ran). */
export const gcExposed = (): boolean => collector !== undefined || typeof (globalThis as { gc?: unknown }).gc === 'function';

/** Heap in use after two full collections (the second one frees what the first one's finalisers released). */
export function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The repository root: where package.json is, from bench/ (tsx) or dist/bench/ (built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'riskwatch') return dir;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Machine and versions, recorded with every result so figures from different runs can be told apart. */
export function environment() {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const pick = ['rxjs', 'better-sqlite3', 'aedes'];
  return {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), platform: process.platform },
    versions: { node: process.version, riskwatch: pkg.version, ...Object.fromEntries(pick.map((name) => [name, pkg.dependencies[name]])) },
    nodeFlags: process.execArgv,
    gcExposed: gcExposed(),
    heapLimitMiB: round(getHeapStatistics().heap_size_limit / 2 ** 20, 0),
  };
}

/**
 * `--name value` flags into a copy of `defaults` (kebab-case → camelCase); numbers stay numbers,
 * booleans are bare flags (`--full`).
 */
export function parseFlags<T extends object>(argv: readonly string[], defaults: T): T {
  const options = { ...defaults } as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const key = flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in options)) throw new Error(`unknown flag ${flag}`);
    const current = options[key];
    if (typeof current === 'boolean') {
      options[key] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`flag ${flag} needs a value`);
    options[key] = typeof current === 'number' ? Number(value) : value;
  }
  return options as T;
}
