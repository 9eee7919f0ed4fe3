import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve('bin/riskwatch.js');

/**
 * The shipped command as users run it: the built bin in its own process, real ports, real signals.
 * `output` is stdout and stderr as they interleaved; `stdout` and `stderr` each alone. `cwd`: run
 * it from another directory (default: the repository).
 */
export function riskwatch(args: string[], options: { cwd?: string } = {}): { child: ChildProcess; output: () => string; stdout: () => string; stderr: () => string } {
  let output = '';
  let stdout = '';
  let stderr = '';
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => {
    output += String(d);
    stdout += String(d);
  });
  child.stderr!.on('data', (d) => {
    output += String(d);
    stderr += String(d);
  });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr };
}

/**
 * Polls `probe` until it returns a value: for waiting on another process (an HTTP port opening,
 * a row appearing), never for engine time, which tests drive on a virtual clock.
 */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
