import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config-sources.js';
import { withShippedDefaults } from './shipped-paths.js';
import { createLogger, exitOnSignals, reloadPolicyOnHangup, runEngine } from '../main.js';
import { printEngineEvents } from './demo-printer.js';
import { formatScenarioIssue, loadScenarioDir, type ScenarioIssue } from '../scenarios/loader.js';
import { configKeys } from '../core/config.js';
import { ERR_CLI_USAGE } from '../core/errors.js';
import { formatPolicyIssue, loadDispatchPolicyFile, type PolicyIssue, type PolicyLoadOptions } from '../policy/policy-file.js';
import { loadRegistryFile } from '../registry/registry-file.js';
import { envName, flagName } from './config-sources.js';
import { asksForHelp, flagLines, parseCommandLine, usageError } from './command-line.js';
import { configArgs, configFlagHelp, configFlagOptions, contractFlagLines } from './config-flags.js';
import { startDemoFleet } from '../../simulators/demo-fleet.js';
import { REPLAY_HELP, replayCommand } from './replay.js';
import { runSimulate, SIMULATE_HELP } from './simulate.js';

const DEMO_DATA_DIR = 'data/demo';

/** The subcommands, as data: `riskwatch --help` lists them, each answers its own `--help`. */
interface Command {
  /** Its line in `riskwatch --help`: usage, then what it does. */
  synopsis: readonly [usage: string, what: string];
  help(): string;
  run(args: string[]): Promise<unknown> | void;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  start: {
    synopsis: ['start [flags]', 'the engine alone (embedded MQTT broker on 1883, HTTP API on 8080)'],
    help: () => engineHelp('start', 'the engine alone: embedded MQTT broker (1883), HTTP API (8080), the shipped scenarios'),
    run: (args) => start(args, false),
  },
  demo: {
    synopsis: ['demo [flags]', 'the engine plus a simulated fleet with injected incidents (npm start)'],
    help: () => engineHelp('demo', 'the engine plus a simulated fleet with injected incidents; its own database (data/demo), the demo scenarios (rules/demo)'),
    run: (args) => start(args, true),
  },
  simulate: {
    synopsis: ['simulate [flags]', 'a simulated fleet with incidents: --fast --out FILE (a recording) or --url URL --rate N (live)'],
    help: () => SIMULATE_HELP,
    run: (args) => runSimulate(args),
  },
  replay: {
    synopsis: ['replay FILE [--drain D]', 'a recording through the engine on a virtual clock that follows its event time (own database data/replay, no ports)'],
    help: () => REPLAY_HELP,
    run: (args) => replayCommand(args),
  },
  rules: {
    synopsis: ['rules validate [DIR]', 'check scenario files and DIR/dispatch/policy.yaml; prints file:line field: problem'],
    help: () => RULES_HELP,
    run: (args) => validateRules(args),
  },
  config: {
    synopsis: ['config', 'every configuration key with its flag, env var and default'],
    help: () => CONFIG_HELP,
    run: (args) => printConfigKeys(args),
  },
  help: {
    synopsis: ['help [COMMAND]', 'this overview, or a command\'s flags (same as riskwatch COMMAND --help)'],
    help: () => overview(),
    run: (args) => printHelp(args),
  },
};

function overview(): string {
  return [
    'riskwatch — IoT risk early-warning engine',
    '',
    'Usage: riskwatch COMMAND [flags]',
    '',
    'Commands:',
    ...flagLines(Object.values(COMMANDS).map((c) => [`riskwatch ${c.synopsis[0]}`, c.synopsis[1]] as const)),
    '',
    'Flags of the engine commands (start, demo, replay):',
    ...contractFlagLines(),
    '',
    'Each command lists its own flags: riskwatch COMMAND --help. Every configuration key: riskwatch config.',
  ].join('\n');
}

/** start and demo: every configuration flag. */
function engineHelp(command: string, what: string): string {
  return [`riskwatch ${command} — ${what}`, '', `Usage: riskwatch ${command} [flags]`, '', ...configFlagHelp()].join('\n');
}

const RULES_HELP = [
  'riskwatch rules validate — check scenario files (and the dispatch policy beside them) without starting anything',
  '',
  'Usage: riskwatch rules validate [DIR] [flags]',
  '',
  '  DIR  scenario directory (default rules); DIR/dispatch/policy.yaml is checked too when present',
  '',
  'Flags:',
  ...flagLines([
    ['--registry FILE', 'registry the policy\'s departments are checked against (default registry/demo.yaml)'],
    ['--config FILE', 'riskwatch.yaml to read the registry path from (default ./riskwatch.yaml when present)'],
    ['-h, --help', 'this help'],
  ]),
  '',
  'Prints ok or error file:line field: problem for each file; exits 1 when any is invalid.',
].join('\n');

const CONFIG_HELP = [
  'riskwatch config — every configuration key with its flag, environment variable and default',
  '',
  'Usage: riskwatch config',
  '',
  'Flags:',
  ...flagLines([['-h, --help', 'this help']]),
].join('\n');

/**
 * Runs `riskwatch {argv}`. A command line it cannot read (ERR_CLI_USAGE) is one line on stderr and
 * exit code 2, the usual code for usage errors; any other error is the caller's (bin/riskwatch.js
 * prints its code and message, exit code 1).
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await dispatch(argv);
  } catch (err) {
    if ((err as { code?: unknown }).code !== ERR_CLI_USAGE.code) throw err;
    console.error(`${ERR_CLI_USAGE.code}: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}

async function dispatch(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(overview());
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : undefined;
  if (!command) throw usageError('', `unknown command ${name}`);
  // Help before anything is parsed, read or opened.
  if (asksForHelp(args)) {
    console.log(command.help());
    return;
  }
  await command.run(args);
}

function printHelp(args: string[]): void {
  const [name] = parseCommandLine('help', args, {}, 1).positionals;
  if (name === undefined) {
    console.log(overview());
    return;
  }
  if (!Object.hasOwn(COMMANDS, name)) throw usageError('help', `unknown command ${name}`);
  console.log(COMMANDS[name]!.help());
}

function printConfigKeys(args: string[]): void {
  parseCommandLine('config', args, {}, 0);
  for (const { path, value } of configKeys()) console.log(`${path.padEnd(26)} --${flagName(path).padEnd(28)} ${envName(path).padEnd(32)} ${JSON.stringify(value)}`);
}

async function start(args: string[], demo: boolean): Promise<void> {
  // The demo runs the short-duration scenarios and keeps its own database, so it never mixes
  // with a real run's alerts; its terminal shows alert and order lines instead of info logs.
  const demoBase = demo ? { rules: 'rules/demo', data: DEMO_DATA_DIR, log: { level: 'warn' } } : undefined;
  const line = parseCommandLine(demo ? 'demo' : 'start', args, configFlagOptions(), 0);
  const { config: loaded } = loadConfig(configArgs(line.values), process.env, demoBase);
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
  const { values, positionals } = parseCommandLine('rules', args, { registry: { type: 'string' }, config: { type: 'string' } }, 2);
  const [sub, dir = 'rules'] = positionals;
  if (sub !== 'validate') throw usageError('rules', sub === undefined ? 'needs a subcommand: validate' : `unknown subcommand ${sub}`);
  const { config } = loadConfig(configArgs(values), process.env);
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
