import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/store.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WRITER = 'tests/helpers/store-writer.ts';
/** Enough commits that the WAL has been checkpointed into the main file at least once. */
const KILL_AFTER = 3000;

describe('Store durability', () => {
  const dir = useTempDir('rw-kill-');

  it('keeps every committed transaction when the writer is killed with SIGKILL mid-loop', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir()], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const committed: { i: number; outboxId: number }[] = [];
    let stderr = '';
    let buffered = '';
    let killed = false;
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (line === 'ready') continue;
            const [i, outboxId] = line.split(' ').map(Number);
            committed.push({ i, outboxId });
          }
          if (!killed && committed.length >= KILL_AFTER) {
            killed = child.kill('SIGKILL');
          }
        });
        // 'close', not 'exit': every line the writer managed to print has been read by then.
        child.once('close', (code, signal) => {
          if (killed && signal === 'SIGKILL') resolve();
          else reject(new Error(`writer ended by itself (${code ?? signal}): ${stderr}`));
        });
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // The kill landed mid-loop, well before the writer's own bound.
    expect(committed.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(committed.length).toBeLessThan(200_000);
    expect(committed.map((c) => c.i)).toEqual(committed.map((_, index) => index));

    // No clean close happened: the last commits live only in the WAL, which reopening must recover.
    const wal = join(dir(), 'riskwatch.db-wal');
    expect(existsSync(wal) && statSync(wal).size > 0).toBe(true);

    const store = openStore(dir());
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const missing = committed.filter(({ i }) =>
        store.alerts.get(`alert-${i}`) === undefined || store.orders.findByAlert(`alert-${i}`)?.id !== `order-${i}`);
      expect(missing).toEqual([]);

      const outboxIds = new Set(store.outbox.pending(1_000_000).map((e) => e.id));
      expect(committed.filter(({ outboxId }) => !outboxIds.has(outboxId))).toEqual([]);

      // Transactions are atomic: as many alerts as orders as outbox rows, and at most the one
      // commit whose line was not yet printed beyond what was reported.
      const alerts = store.db.prepare('SELECT count(*) FROM alerts').pluck().get() as number;
      expect(store.db.prepare('SELECT count(*) FROM orders').pluck().get()).toBe(alerts);
      expect(outboxIds.size).toBe(alerts);
      expect(alerts - committed.length).toBeGreaterThanOrEqual(0);
      expect(alerts - committed.length).toBeLessThanOrEqual(1);
    } finally {
      store.close();
    }
  });
});
