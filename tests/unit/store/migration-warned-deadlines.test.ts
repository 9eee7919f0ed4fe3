import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import { nextCheckAt } from '../../../src/dispatch/order-deadlines.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { T0, makeOrder } from '../../helpers/store-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

const WARNED_PER_KIND = MIGRATIONS.findIndex((m) => m.description.startsWith('orders: the deadline last warned per kind'));

/** An order as the schema before the migration stored it: `warned` a list of dueAts, no `remindEvery`. */
function legacy(id: string, warned: (order: DispatchOrder) => number[]): Record<string, unknown> {
  const order = makeOrder({ id, alertId: `a-${id}`, createdAt: T0, responseDueAt: T0 + 30 * MIN, resolutionDueAt: T0 + 24 * HOUR });
  const { remindEvery: _dropped, ...sla } = order.sla;
  return { ...order, sla, warned: warned(order) };
}

describe('migration: warned deadlines per kind, reminders in the SLA', () => {
  const dir = useTempDir('rw-migrate-warned-');

  it('keeps the warning of each running deadline, drops the forgotten list, and gives old orders the default reminder interval', () => {
    expect(WARNED_PER_KIND).toBeGreaterThan(0);
    const file = join(dir(), 'rw.db');
    const before = openDatabase(file, { migrations: MIGRATIONS.slice(0, WARNED_PER_KIND) });
    const old = new OrderRepository(before);
    // A red order that kept missing its response: eight earlier response deadlines, the current one among them.
    old.save(legacy('both', (o) => [...Array.from({ length: 7 }, (_, i) => o.responseDueAt - (i + 1) * 15 * MIN), o.resolutionDueAt, o.responseDueAt]) as unknown as DispatchOrder);
    // Only the response deadline warned (and an earlier one, no longer running).
    old.save(legacy('response-only', (o) => [o.responseDueAt - 15 * MIN, o.responseDueAt]) as unknown as DispatchOrder);
    old.save(legacy('none', () => []) as unknown as DispatchOrder);
    closeDatabase(before);

    const db = openDatabase(file);
    const orders = new OrderRepository(db);
    const both = orders.get('both')!;
    expect(both.warned).toEqual({ response: T0 + 30 * MIN, resolution: T0 + 24 * HOUR });
    expect(both.sla).toMatchObject({ warnAt: 0.8, remindEvery: HOUR });
    expect(nextCheckAt(both)).toBe(T0 + 30 * MIN); // both warned: the next check is the response deadline itself
    expect(orders.get('response-only')!.warned).toEqual({ response: T0 + 30 * MIN });
    const none = orders.get('none')!;
    expect(none.warned).toEqual({});
    expect(nextCheckAt(none)).toBe(T0 + 24 * MIN); // 80 % of the 30-minute response span
    closeDatabase(db);
  });
});
