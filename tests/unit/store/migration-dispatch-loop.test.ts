import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const HOUR = 3_600_000;

/** An order as the engine core (schema version 2) stored it: none of the closed-loop fields. */
const legacyOrder = {
  id: 'o-old', alertId: 'a-old', scenarioId: 'gas-concentration', scenarioName: 'Gas', category: 'gas', level: 'orange',
  priority: 3, tier: 'community', assignee: { tier: 'community', placeId: 'cm-1', placeName: 'Community 1' }, notify: [],
  status: 'accepted', createdAt: 1_000, updatedAt: 2_000, responseDueAt: 1_000 + 2 * HOUR, resolutionDueAt: 1_000 + 24 * HOUR,
  version: 2, deviceId: 'gd-1', placeId: 'gr-1', subject: { id: 'hh-1', kind: 'household', livingAlone: true }, summary: 'gas',
  history: [{ at: 1_000, type: 'created' }],
};

describe('migration 3 (dispatch closed loop) on a database from the engine core', () => {
  const dir = useTempDir('rw-migrate-');

  it('keeps old orders readable and complete: SLA from their deadlines, no supervision, indexed subject', () => {
    const file = join(dir(), 'rw.db');
    const v2 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 2) });
    v2.prepare(`INSERT INTO orders (id, alert_id, scenario_id, level, status, tier, version, created_at, updated_at, place_id,
                grid_id, community_id, street_id, assignee_place_id, body)
                VALUES ('o-old', 'a-old', 'gas-concentration', 'orange', 'accepted', 'community', 2, 1000, 2000, 'gr-1',
                NULL, NULL, NULL, 'cm-1', ?)`).run(JSON.stringify(legacyOrder));
    closeDatabase(v2);

    const db = openDatabase(file);
    const orders = new OrderRepository(db);
    const order = orders.get('o-old')!;
    expect(order).toMatchObject({
      id: 'o-old', status: 'accepted', policyRules: [], warned: {}, overdueCount: 0, supervision: [], rejectedBy: [],
      sla: { respondWithin: { ms: 2 * HOUR }, resolveWithin: { ms: 24 * HOUR }, warnAt: 0.8 },
    });
    expect(orders.countOpenForSubject('hh-1')).toBe(1);
    expect(orders.listUnfinished().map((o) => o.id)).toEqual(['o-old']);
    closeDatabase(db);
  });
});
