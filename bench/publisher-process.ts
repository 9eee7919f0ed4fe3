import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The load publisher (load-publisher.ts) runs in its own process, so publishing competes with the
 * system under test for the 2 cores the way a real fleet's traffic would not: the pessimistic case.
 * Compiled JS after `npm run build`, or the TS source through tsx (tests).
 */
export function forkPublisher(): ChildProcess {
  return forkBenchProcess('load-publisher');
}

/** A bench script (`bench/{script}`) in a process of its own, answering `ask` over IPC. */
export function forkBenchProcess(script: string): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${script}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return fork(file, { stdio: 'inherit', execArgv: fromSource ? ['--import', 'tsx'] : [] });
}

/**
 * One command to the publisher, its result back (commands run one at a time). Rejects when the
 * publisher exits before answering (a crash mid-probe), instead of leaving the benchmark waiting
 * for an answer that cannot come.
 */
export function ask<T>(child: ChildProcess, command: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      child.off('message', onMessage);
      reject(new Error(`bench process exited (${signal ?? `exit code ${code}`}) before answering ${JSON.stringify((command as { cmd?: unknown }).cmd)}`));
    };
    const onMessage = (m: { ok: boolean; result?: T; error?: string }) => {
      child.off('exit', onExit);
      if (m.ok) resolve(m.result as T);
      else reject(new Error(m.error));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(command);
  });
}
