import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configKeys, resolveConfig, type DeepPartial, type RiskwatchConfig } from '../core/config.js';
import { ERR_CONFIG_INVALID } from '../core/errors.js';

/** Short flags of the public contract (ARCHITECTURE.md) besides the generic `--section-key` ones. */
export const FLAG_ALIASES: Readonly<Record<string, string>> = {
  broker: 'mqtt.broker',
};

/** `mqtt.topicPrefix` → `mqtt-topic-prefix`. */
export function flagName(path: string): string {
  return path.replace(/\./g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `mqtt.topicPrefix` → `RW_MQTT_TOPIC_PREFIX`. */
export function envName(path: string): string {
  return `RW_${flagName(path).replace(/-/g, '_').toUpperCase()}`;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}

const FLAG_TO_PATH = new Map<string, string>([
  ...configKeys().map(({ path }) => [flagName(path), path] as [string, string]),
  ...Object.entries(FLAG_ALIASES),
]);

/** Parses `--key value` / `--key=value` flags; returns the config layer and the remaining arguments. */
export function configFromFlags(args: readonly string[]): { layer: DeepPartial<RiskwatchConfig>; configFile?: string; rest: string[] } {
  const layer: Record<string, unknown> = {};
  const rest: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (name === 'config') {
      configFile = inline ?? args[++i];
      if (!configFile) throw ERR_CONFIG_INVALID('--config needs a file');
      continue;
    }
    const path = FLAG_TO_PATH.get(name);
    if (!path) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw ERR_CONFIG_INVALID(`--${name} needs a value`);
    setPath(layer, path, value);
  }
  const result: { layer: DeepPartial<RiskwatchConfig>; configFile?: string; rest: string[] } = { layer: layer as DeepPartial<RiskwatchConfig>, rest };
  if (configFile) result.configFile = configFile;
  return result;
}

export function configFromEnv(env: NodeJS.ProcessEnv): DeepPartial<RiskwatchConfig> {
  const layer: Record<string, unknown> = {};
  for (const { path } of configKeys()) {
    const value = env[envName(path)];
    if (value !== undefined && value !== '') setPath(layer, path, value);
  }
  return layer as DeepPartial<RiskwatchConfig>;
}

export function configFromFile(file: string): DeepPartial<RiskwatchConfig> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw ERR_CONFIG_INVALID(`${file}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw ERR_CONFIG_INVALID(`${file}: must be a mapping of sections`);
  return parsed as DeepPartial<RiskwatchConfig>;
}

/**
 * Defaults < riskwatch.yaml (or --config FILE; RW_CONFIG) < environment < flags. Returns the
 * configuration and the arguments that were not configuration flags.
 */
export function loadConfig(args: readonly string[], env: NodeJS.ProcessEnv, base?: DeepPartial<RiskwatchConfig>): { config: RiskwatchConfig; rest: string[] } {
  const flags = configFromFlags(args);
  const file = flags.configFile ?? env.RW_CONFIG ?? (existsSync('riskwatch.yaml') ? 'riskwatch.yaml' : undefined);
  if (flags.configFile && !existsSync(flags.configFile)) throw ERR_CONFIG_INVALID(`config file ${flags.configFile} not found`);
  const fromFile = file ? configFromFile(file) : undefined;
  return { config: resolveConfig(base, fromFile, configFromEnv(env), flags.layer), rest: flags.rest };
}
