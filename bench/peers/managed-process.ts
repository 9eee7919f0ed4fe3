import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A child process a peer runs in (mosquitto, Node-RED): its output kept for error messages, a stop
 * that escalates, and a guarantee that a dying parent does not leave it behind.
 *
 * Lifecycle: spawnManaged() → (poll readiness with `failure()` as the way out) → stop().
 */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last 8 KiB of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** Why the process can no longer become ready (spawn error or exit), or undefined while it runs. */
  failure(): string | undefined;
  /** Resolves when the process has exited (or could not be spawned). */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface ManagedProcessOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** How long SIGTERM gets before SIGKILL; default 3 s. */
  graceMs?: number;
}

const OUTPUT_TAIL = 8_192;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function spawnManaged(command: string, args: readonly string[], options: ManagedProcessOptions = {}): ManagedProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();

  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A command that cannot be spawned emits 'error' and never 'exit'.
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  void exited.then(() => running.delete(child));

  const isRunning = (): boolean => spawnError === undefined && child.exitCode === null && child.signalCode === null;
  const graceMs = options.graceMs ?? 3_000;
  let stopping: Promise<void> | undefined;

  return {
    child,
    output: () => tail,
    failure: () => {
      if (spawnError) return `cannot start ${command}: ${spawnError.message}`;
      if (!isRunning()) return `${command} exited (${child.exitCode ?? child.signalCode})`;
      return undefined;
    },
    exited,
    stop: () =>
      (stopping ??= (async () => {
        if (!isRunning()) return;
        child.kill('SIGTERM');
        // Unref'd: a grace timer must not hold the parent's event loop open once the child is gone.
        const gone = await Promise.race([exited.then(() => true), sleep(graceMs, false, { ref: false })]);
        if (!gone) {
          child.kill('SIGKILL');
          await exited;
        }
      })()),
  };
}

/**
 * Polls `ready` every `intervalMs` until it says yes. Gives up when the process fails (with its
 * output in the error) or after `timeoutMs`. Start-up of a real process is waited for in real
 * time: this is the harness, not engine logic.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  ready: () => Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const failure = proc.failure();
    if (failure) throw new Error(`${failure} before ${what}:\n${proc.output()}`);
    if (await ready()) return;
    if (performance.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms:\n${proc.output()}`);
    await sleep(intervalMs);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A bench or test run that dies must not leave brokers or Node-RED behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
