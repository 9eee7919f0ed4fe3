import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh directory under the OS temp dir. */
export function createTempDir(prefix = 'riskwatch-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh temp directory for every test of the enclosing suite, removed after it:
 * `const dir = useTempDir(); it('…', () => openStore(dir()))`.
 */
export function useTempDir(prefix = 'riskwatch-'): () => string {
  let current: string | undefined;
  beforeEach(() => {
    current = createTempDir(prefix);
  });
  afterEach(() => {
    if (current) removeTempDir(current);
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTempDir(): the directory exists only while a test runs');
    return current;
  };
}
