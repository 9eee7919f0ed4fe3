import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed version of an npm package, read from its package.json. Found from the package's
 * entry point upwards, because packages with an `exports` map (aedes) refuse `pkg/package.json`.
 */
export function installedVersion(packageName: string): string {
  let dir = dirname(require.resolve(packageName));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === packageName && pkg.version) return pkg.version;
    } catch {
      // no package.json here: one level up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json for ${packageName} above ${require.resolve(packageName)}`);
    dir = parent;
  }
}
