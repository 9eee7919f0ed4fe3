import { configKeys } from '../core/config.js';
import { isDuration } from '../core/duration.js';
import { envName, FLAG_ALIASES, flagName } from './config-sources.js';
import { flagLines, type FlagOptions, type FlagValues } from './command-line.js';

/**
 * The configuration flags the engine commands take — `--config FILE`, `--broker URL` and one flag
 * per configuration key (`mqtt.port` → `--mqtt-port`) — as parseArgs options and as help lines,
 * both from the one table of keys (core/config.ts `configKeys`), so a key added there is a flag
 * and a help line here with no edit. What a flag's value means stays with config-sources.ts.
 */

/** The flags of the public contract (ARCHITECTURE.md), first in every help, in words. */
const CONTRACT_FLAGS: ReadonlyArray<readonly [flag: string, description: string]> = [
  ['--config FILE', 'riskwatch.yaml to read (default ./riskwatch.yaml when present; env RW_CONFIG)'],
  ['--mqtt-port N', 'embedded broker port (default 1883)'],
  ['--http-port N', 'HTTP API port (default 8080)'],
  ['--broker URL', 'use an external broker (mqtt://host:1883) instead of the embedded one'],
  ['--rules DIR', 'scenario directory (default rules)'],
  ['--registry FILE', 'registry file (default registry/demo.yaml)'],
  ['--data DIR', 'SQLite directory (default data)'],
];

export function configFlagOptions(): FlagOptions {
  const options: FlagOptions = { config: { type: 'string' } };
  for (const { path } of configKeys()) options[flagName(path)] = { type: 'string' };
  for (const alias of Object.keys(FLAG_ALIASES)) options[alias] = { type: 'string' };
  return options;
}

/** The parsed configuration flags back as `--name=value` arguments, for `loadConfig` to layer. */
export function configArgs(values: FlagValues): string[] {
  const names = new Set(Object.keys(configFlagOptions()));
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) if (names.has(name) && typeof value === 'string') args.push(`--${name}=${value}`);
  return args;
}

/** The contract flags alone, for the overview (`riskwatch --help`). */
export function contractFlagLines(): string[] {
  return flagLines([...CONTRACT_FLAGS, ['-h, --help', 'this overview; after a command, its own flags']]);
}

/** What a key's value looks like, from its default. */
function placeholder(value: unknown): string {
  if (typeof value === 'number') return 'N';
  if (typeof value === 'boolean') return 'true|false';
  return typeof value === 'string' && value !== '' && isDuration(value) ? 'DURATION' : 'TEXT';
}

/**
 * Help: the command's own flags (`own`) and the contract flags in words, then every key with its
 * default and environment variable, all in one column.
 */
export function configFlagHelp(own: ReadonlyArray<readonly [flag: string, description: string]> = []): string[] {
  const keys = configKeys().map(({ path, value }) => [`--${flagName(path)} ${placeholder(value)}`, `${path} (default ${JSON.stringify(value)}; env ${envName(path)})`] as const);
  const aliases = Object.entries(FLAG_ALIASES)
    .filter(([alias]) => !CONTRACT_FLAGS.some(([flag]) => flag.startsWith(`--${alias} `)))
    .map(([alias, path]) => [`--${alias} ${placeholder('')}`, `same as --${flagName(path)}`] as const);
  const first = [...own, ...CONTRACT_FLAGS, ...aliases, ['-h, --help', 'this help'] as const];
  const lines = flagLines([...first, ...keys]);
  return [
    'Flags:',
    ...lines.slice(0, first.length),
    '',
    'Every configuration key (also settable in riskwatch.yaml and by environment variable):',
    ...lines.slice(first.length),
  ];
}
