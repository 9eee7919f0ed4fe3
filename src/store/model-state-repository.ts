import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';
import type { SnapshotEntry } from '../contracts/model.js';

/**
 * Model state snapshots: written at a graceful stop, read once at the next start and then deleted,
 * so a later crash can never restore state older than what the engine had since seen.
 */
export class ModelStateRepository {
  private readonly insert: Statement;
  private readonly select: Statement;
  private readonly removeScenario: Statement;
  private readonly removeAll: Statement;

  constructor(db: Database) {
    this.insert = db.prepare('INSERT OR REPLACE INTO model_state (scenario_id, key, fingerprint, taken_at, state) VALUES (?, ?, ?, ?, ?)');
    this.select = db.prepare('SELECT key, state FROM model_state WHERE scenario_id = ? AND fingerprint = ?');
    this.removeScenario = db.prepare('DELETE FROM model_state WHERE scenario_id = ?');
    this.removeAll = db.prepare('DELETE FROM model_state');
  }

  /** Replaces the scenario's snapshot (call inside a transaction for many scenarios at once). */
  save(scenarioId: string, fingerprint: string, entries: readonly SnapshotEntry[], at: number): void {
    this.removeScenario.run(scenarioId);
    for (const entry of entries) this.insert.run(scenarioId, entry.key, fingerprint, at, JSON.stringify(entry.state));
  }

  /** The scenario's snapshot if it was taken with the same definition; empty otherwise. */
  load(scenarioId: string, fingerprint: string): SnapshotEntry[] {
    const rows = this.select.all(scenarioId, fingerprint) as Array<{ key: string; state: string }>;
    return rows.map((row) => ({ key: row.key, state: JSON.parse(row.state) as Record<string, unknown> }));
  }

  /** Forgets every snapshot (after they were restored). */
  clear(): void {
    this.removeAll.run();
  }
}
