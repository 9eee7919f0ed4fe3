import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const { LAYERS, WIRING } = createRequire(import.meta.url)(join(ROOT, 'dependency-layers.cjs')) as { LAYERS: Record<string, string[]>; WIRING: string[] };

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs the dependency rule check as `npm run depcheck` does; the violations it reports. */
function depcruise(cwd: string, paths: string[], config = CONFIG): { violations: Violation[]; stderr: string } {
  const run = spawnSync(DEPCRUISE, [...paths, '--config', config, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = run.stdout ? (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }) : undefined;
  return { violations: output?.summary.violations ?? [], stderr: run.stderr };
}

describe('the import rules (docs/architecture.md "Layering")', () => {
  const dir = useTempDir('rw-depcruise-');

  it('hold for the whole code base: no layer imports a later one, no cycles', () => {
    const { violations, stderr } = depcruise(ROOT, ['src', 'simulators', 'bench']);
    expect(stderr).toBe('');
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 60_000);

  it('catch a store module importing the API, and a cycle', () => {
    const root = dir();
    for (const folder of ['store', 'api', 'models']) mkdirSync(join(root, 'src', folder), { recursive: true });
    writeFileSync(join(root, 'src', 'api', 'page.ts'), 'export const page = 1;\n');
    writeFileSync(join(root, 'src', 'store', 'repo.ts'), "import { page } from '../api/page.js';\nexport const repo = page;\n");
    writeFileSync(join(root, 'src', 'models', 'a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
    writeFileSync(join(root, 'src', 'models', 'b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    const { violations } = depcruise(root, ['src']);
    const rules = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(rules).toContain('layer-store: src/store/repo.ts → src/api/page.ts');
    expect(rules.filter((r) => r.startsWith('no-cycles'))).toEqual([expect.stringMatching(/^no-cycles: src\/models\/[ab]\.ts → src\/models\/[ab]\.ts$/)]);
    // As `npm run depcheck` reports it: one line per violation, and a failing exit code.
    const run = spawnSync(DEPCRUISE, ['src', '--config', CONFIG], { cwd: root, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain('error layer-store: src/store/repo.ts → src/api/page.ts');
  }, 60_000);

  it('name every folder of src/, and docs/architecture.md states the same rules', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual([...Object.keys(LAYERS), ...WIRING].sort());
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    // The layering table: | `folder/` | `a/`, `b/` |
    const documented: Record<string, string[]> = {};
    for (const [, folder, allowed] of doc.matchAll(/^\| `(\w+)\/` \| ((?:`\w+\/`(?:, )?)+) \|/gm)) {
      documented[folder!] = [...allowed!.matchAll(/`(\w+)\/`/g)].map((m) => m[1]!);
    }
    expect(documented).toEqual(LAYERS);
  });
});
