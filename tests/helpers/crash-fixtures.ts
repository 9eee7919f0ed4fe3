import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { riskwatch, until } from './cli-process.js';
import { getFreePort } from './free-port.js';

/**
 * What the crash tests run the engine with: scenarios of seconds instead of hours (so a process
 * test takes seconds of real time), a two-household registry, and the engine as users run it.
 */

/** Offline after 12 s; water running for 10 s: short, and longer than a restart (≈1–2 s here). */
export const CRASH_RULES: Record<string, string> = {
  'meter-offline.yaml': `id: meter-offline
name: Meter offline (crash test timings)
category: device
model: offline
appliesTo: { deviceTypes: [water_meter] }
levels: { blue: 12s, yellow: 60s }
dispatch: true
`,
  'water-running-continuously.yaml': `id: water-running-continuously
name: Water running continuously (crash test timings)
category: water
model: threshold
appliesTo: { deviceTypes: [water_meter] }
metric: flow_lpm
levels: { yellow: "value > 0.5" }
for: { yellow: 10s }
reset: { yellow: "value < 0.2" }
maxGap: 30s
dispatch: true
`,
};

export const CRASH_REGISTRY = `places:
  - { id: st-1, kind: street, name: Street 1, timeZone: Asia/Shanghai }
  - { id: cm-1, kind: community, name: Community 1, parent: st-1 }
  - { id: gr-1, kind: grid, name: Grid 1, parent: cm-1 }
subjects:
  - { id: hh-1, kind: household, place: gr-1, livingAlone: false, age: 40 }
  - { id: hh-2, kind: household, place: gr-1, livingAlone: false, age: 45 }
devices:
  - { id: wm-0001, type: water_meter, subject: hh-1, reportEvery: 1s }
  - { id: wm-0002, type: water_meter, subject: hh-2, reportEvery: 1s }
`;

/** Writes the rules directory and the registry under `dir`; returns their paths. */
export function writeCrashFixtures(dir: string): { rules: string; registry: string; data: string } {
  const rules = join(dir, 'rules');
  mkdirSync(rules, { recursive: true });
  for (const [file, text] of Object.entries(CRASH_RULES)) writeFileSync(join(rules, file), text);
  const registry = join(dir, 'registry.yaml');
  writeFileSync(registry, CRASH_REGISTRY);
  return { rules, registry, data: join(dir, 'data') };
}

/** The engine process (`riskwatch start`) with restarts on the same ports and data. */
export async function engineProcess(paths: { rules: string; registry: string; data: string }, extra: string[] = []) {
  const [mqttPort, httpPort] = [await getFreePort(), await getFreePort()];
  const args = [
    'start', '--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1', '--http-port', String(httpPort), '--http-host', '127.0.0.1',
    '--data', paths.data, '--rules', paths.rules, '--registry', paths.registry, ...extra,
  ];
  const api = `http://127.0.0.1:${httpPort}`;
  let run: ReturnType<typeof riskwatch> | undefined;
  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    api,
    get child(): ChildProcess | undefined {
      return run?.child;
    },
    /** Starts the process and resolves once /health answers; returns the wall time that took. */
    async start(): Promise<number> {
      const began = Date.now();
      run = riskwatch(args);
      const current = run;
      await until(async () => ((await fetch(`${api}/health`)).ok ? true : undefined), `/health\n${current.output()}`);
      return Date.now() - began;
    },
    /** kill -9: no stop, no last checkpoint, no clean close. */
    async kill(): Promise<void> {
      const child = run?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    /** SIGTERM, the graceful stop; resolves with the exit code. */
    async stop(): Promise<number | null> {
      const child = run?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
    output: () => run?.output() ?? '',
  };
}

/** One key's checkpointed state, read from the data file as another process may (WAL). */
export function checkpointOf(data: string, scenarioId: string, key: string): Record<string, unknown> | undefined {
  const file = join(data, 'riskwatch.db');
  if (!existsSync(file)) return undefined;
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const state = db.prepare('SELECT state FROM model_state WHERE scenario_id = ? AND key = ?').pluck().get(scenarioId, key) as string | undefined;
    return state === undefined ? undefined : (JSON.parse(state) as Record<string, unknown>);
  } catch {
    return undefined; // the schema is not there yet
  } finally {
    db.close();
  }
}
