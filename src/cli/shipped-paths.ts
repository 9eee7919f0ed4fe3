import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { RiskwatchConfig } from '../core/config.js';
import { DEFAULT_CONFIG } from '../core/config.js';

/** The package's own directory (dist/src/cli → package root), where rules/ and registry/ ship. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/**
 * `npx riskwatch start` from any directory runs the shipped scenarios and demo registry: a default
 * path that does not exist in the working directory falls back to the package's copy. Paths the
 * user set are never redirected.
 */
export function withShippedDefaults(config: RiskwatchConfig, defaults: Pick<RiskwatchConfig, 'rules' | 'registry'> = DEFAULT_CONFIG): RiskwatchConfig {
  const pick = (value: string, fallback: string) => (value === fallback && !existsSync(value) && existsSync(join(PACKAGE_ROOT, value)) ? join(PACKAGE_ROOT, value) : value);
  return { ...config, rules: pick(config.rules, defaults.rules), registry: pick(config.registry, defaults.registry) };
}
