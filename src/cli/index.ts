import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config-sources.js';
import { withShippedDefaults } from './shipped-paths.js';
import { createLogger, exitOnSignals, reloadPolicyOnHangup, runEngine } from '../main.js';
import { printEngineEvents } from './demo-printer.js';
import { formatScenarioIssue, loadScenarioDir, type ScenarioIssue } from '../scenarios/loader.js';
import { configKeys } from '../core/config.js';
import { formatPolicyIssue, loadDispatchPolicyFile, type PolicyIssue, type PolicyLoadOptions } from '../policy/policy-file.js';
import { loadRegistryFile } from '../registry/registry-file.js';
import { envName, flagName } from './config-sources.js';
import { startDemoFleet } from '../../simulators/demo-fleet.js';
import { replayCommand } from './replay.js';
import { runSimulate } from './simulate.js';

const DEMO_DATA_DIR = 'data/demo';

const HELP = `riskwatch — IoT risk early-warning engine

Usage:
  riskwatch start [flags]            the engine alone (embedded MQTT broker on 1883, HTTP API on 8080)
  riskwatch demo [flags]             the engine plus a simulated fleet with injected incidents (npm start)
  riskwatch simulate [flags]         a simulated fleet with incidents: --fast --out FILE (a recording) or
                                     --url URL --rate N (live); see riskwatch simulate --help
  riskwatch replay FILE [--drain D]  a recording through the engine on a virtual clock that follows its
                                     event time (own database data/replay, no ports); prints a summary
  riskwatch rules validate [DIR]     check scenario files and DIR/dispatch/policy.yaml (departments against
                                     --registry FILE); prints file:line field: problem
  riskwatch config                   every configuration key with its flag, env var and default

Flags (every configuration key has one; see \`riskwatch config\`):
  --config FILE       riskwatch.yaml to read (default ./riskwatch.yaml when present)
  --mqtt-port N       embedded broker port (default 1883)
  --http-port N       HTTP API port (default 8080)
  --broker URL        use an external broker (mqtt://host:1883) instead of the embedded one
  --rules DIR         scenario directory (default rules)
  --registry FILE     registry file (default registry/demo.yaml)
  --data DIR          SQLite directory (default data)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start(args, false);
    case 'demo':
      return start(args, true);
    case 'replay':
      await replayCommand(args);
      return;
    case 'simulate':
      return runSimulate(args);
    case 'rules':
      return validateRules(args);
    case 'config':
      for (const { path, value } of configKeys()) console.log(`${path.padEnd(26)} --${flagName(path).padEnd(28)} ${envName(path).padEnd(32)} ${JSON.stringify(value)}`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return;
    default:
      console.error(`unknown command ${command}\n\n${HELP}`);
      process.exitCode = 2;
  }
}

async function start(args: string[], demo: boolean): Promise<void> {
  // The demo runs the short-duration scenarios and keeps its own database, so it never mixes
  // with a real run's alerts; its terminal shows alert and order lines instead of info logs.
  const demoBase = demo ? { rules: 'rules/demo', data: DEMO_DATA_DIR, log: { level: 'warn' } } : undefined;
  const { config: loaded, rest } = loadConfig(args, process.env, demoBase);
  if (rest.length > 0) throw new Error(`unknown arguments: ${rest.join(' ')} (see riskwatch --help)`);
  const config = withShippedDefaults(loaded, demo ? { rules: 'rules/demo', registry: loaded.registry } : undefined);
  // Every demo run is the same show from the start: alerts left open by the last run would absorb
  // this run's detections. Only the demo's own default directory is ever wiped.
  if (demo && config.data === DEMO_DATA_DIR) rmSync(DEMO_DATA_DIR, { recursive: true, force: true });
  const logger = createLogger(config);
  const running = await runEngine(config, logger);
  const { engine } = running;
  const http = running.httpPort !== undefined ? `http://localhost:${running.httpPort}` : 'disabled';
  reloadPolicyOnHangup(engine, logger);
  if (!demo) {
    exitOnSignals(running.stop, logger);
    return;
  }
  const colour = Boolean(process.stdout.isTTY);
  const write = (line: string) => process.stdout.write(`${line}\n`);
  printEngineEvents(engine, write, colour);
  const brokerUrl = config.mqtt.broker || `mqtt://127.0.0.1:${config.mqtt.port}`;
  const fleet = await startDemoFleet({ url: brokerUrl, registry: engine.registry, prefix: config.mqtt.topicPrefix, log: write });
  write(`riskwatch demo — broker ${brokerUrl}, API ${http} (try ${http}/api/orders), ${engine.registry.counts().devices} devices, scenarios from ${config.rules}`);
  write('Incidents are injected over the next 40 s; alerts and orders appear below. Ctrl-C to stop.\n');
  exitOnSignals(async () => {
    await fleet.stop();
    await running.stop();
  }, logger);
}

function validateRules(args: string[]): void {
  const [sub, ...flags] = args;
  const { config, rest } = loadConfig(flags, process.env);
  const [dir = 'rules', ...extra] = rest;
  if (sub !== 'validate' || extra.length > 0) {
    console.error('usage: riskwatch rules validate [DIR] [--registry FILE]');
    process.exitCode = 2;
    return;
  }
  const { scenarios, errors } = loadScenarioDir(dir);
  for (const s of scenarios) console.log(`ok    ${s.source ?? s.id}  (${s.id}, ${s.model})`);
  for (const err of errors) {
    const issues = (err.details?.errors ?? []) as ScenarioIssue[];
    if (issues.length === 0) console.log(`error ${err.message}`);
    for (const issue of issues) console.log(`error ${formatScenarioIssue(issue)}`);
  }
  if (errors.length > 0) process.exitCode = 1;
  validatePolicy(join(dir, 'dispatch', 'policy.yaml'), withShippedDefaults(config).registry, scenarios);
}

/** The dispatch policy beside the scenarios, when there is one; departments checked against the registry. */
function validatePolicy(file: string, registryFile: string, scenarios: PolicyLoadOptions['scenarios']): void {
  if (!existsSync(file)) return;
  const options: PolicyLoadOptions = { scenarios };
  try {
    options.registry = loadRegistryFile(registryFile);
  } catch (err) {
    console.log(`note  departments not checked: ${(err as Error).message}`);
  }
  try {
    const policy = loadDispatchPolicyFile(file, options);
    const checked = options.registry ? `, departments checked against ${registryFile}` : '';
    console.log(`ok    ${policy.source}  (dispatch policy, ${policy.rules.length} rules${checked})`);
  } catch (err) {
    const issues = ((err as { details?: { errors?: PolicyIssue[] } }).details?.errors ?? []);
    if (issues.length === 0) console.log(`error ${(err as Error).message}`);
    for (const issue of issues) console.log(`error ${formatPolicyIssue(issue)}`);
    process.exitCode = 1;
  }
}
