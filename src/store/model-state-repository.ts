import type { Statement } from 'better-sqlite3';
import type { Database } from './database.js';
import type { SnapshotEntry } from '../contracts/model.js';

/**
 * Model state checkpoints: one row per (scenario, key), overwritten whenever the key is checkpointed
 * again and read back at every start, so a crash at any moment restores what the last checkpoint
 * wrote. Each scenario's rows belong to one definition of it (its fingerprint): a changed scenario
 * starts from no state, and its old rows are deleted when it is adopted.
 */
export class ModelStateRepository {
  private readonly upsert: Statement;
  private readonly select: Statement;
  private readonly fingerprintOf: Statement;
  private readonly setFingerprint: Statement;
  private readonly removeScenarioKeys: Statement;
  private readonly removeScenario: Statement;
  private readonly scenarioIds: Statement;
  private readonly countKeys: Statement;

  constructor(db: Database) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO model_state (scenario_id, key, taken_at, state) VALUES (?, ?, ?, ?)');
    // raw(): [key, state] arrays, no object per row (a million rows at a start).
    this.select = db.prepare('SELECT key, state FROM model_state WHERE scenario_id = ?').raw();
    this.fingerprintOf = db.prepare('SELECT fingerprint FROM model_scenarios WHERE scenario_id = ?').pluck();
    this.setFingerprint = db.prepare('INSERT OR REPLACE INTO model_scenarios (scenario_id, fingerprint) VALUES (?, ?)');
    this.removeScenarioKeys = db.prepare('DELETE FROM model_state WHERE scenario_id = ?');
    this.removeScenario = db.prepare('DELETE FROM model_scenarios WHERE scenario_id = ?');
    this.scenarioIds = db.prepare('SELECT scenario_id FROM model_scenarios UNION SELECT DISTINCT scenario_id FROM model_state').pluck();
    this.countKeys = db.prepare('SELECT count(*) FROM model_state WHERE scenario_id = ?').pluck();
  }

  /**
   * Makes the checkpoints of `scenarioId` those of the definition `fingerprint`: when they were
   * written for another definition they are deleted (positional state such as a threshold's
   * per-level times would be misread). Returns whether checkpoints of this definition may exist.
   */
  adopt(scenarioId: string, fingerprint: string): boolean {
    const stored = this.fingerprintOf.get(scenarioId) as string | undefined;
    if (stored === fingerprint) return true;
    this.removeScenarioKeys.run(scenarioId);
    this.setFingerprint.run(scenarioId, fingerprint);
    return false;
  }

  /** Deletes the checkpoints of every scenario not in `scenarioIds` (no longer loaded). Returns the scenarios forgotten. */
  retainOnly(scenarioIds: readonly string[]): string[] {
    const keep = new Set(scenarioIds);
    const gone = (this.scenarioIds.all() as string[]).filter((id) => !keep.has(id));
    for (const id of gone) {
      this.removeScenarioKeys.run(id);
      this.removeScenario.run(id);
    }
    return gone;
  }

  /**
   * The scenario's checkpointed keys, read one row at a time (a million keys need not sit in
   * memory as rows and as state at once). Nothing may write to the database while it is iterated.
   */
  *load(scenarioId: string): Generator<SnapshotEntry> {
    for (const [key, state] of this.select.iterate(scenarioId) as IterableIterator<[string, string]>) {
      yield { key, state: JSON.parse(state) as Record<string, unknown> };
    }
  }

  /** Writes (or overwrites) one key's checkpoint; call inside a transaction when writing many. */
  put(scenarioId: string, key: string, state: Record<string, unknown>, at: number): void {
    this.upsert.run(scenarioId, key, at, JSON.stringify(state));
  }

  /** How many keys of the scenario are checkpointed. */
  count(scenarioId: string): number {
    return this.countKeys.get(scenarioId) as number;
  }
}
