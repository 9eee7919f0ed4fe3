import { describe, expect, it } from 'vitest';
import type { Alert, AlertEvent } from '../../../src/contracts/alert.js';
import type { Level } from '../../../src/contracts/level.js';
import type { DispatchOrder } from '../../../src/contracts/order.js';
import type { DeviceContext } from '../../../src/contracts/registry.js';
import { assigneeFor, DEFAULT_DISPATCH_POLICY } from '../../../src/dispatch/dispatch-policy.js';
import { OrderManager } from '../../../src/dispatch/order-manager.js';
import { makeAlert } from '../../helpers/store-fixtures.js';
import { makeContext } from '../../helpers/device-context.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(`${iso}+08:00`);
const ctx: DeviceContext = makeContext({
  deviceId: 'wm-101', type: 'water_meter',
  subject: { id: 'hh-101', livingAlone: true, age: 81, personal: { name: 'Resident', phone: '13800000001', idNumber: 'ID-1', address: 'Room 1' } },
});

function setup() {
  const stored = new Map<string, DispatchOrder>();
  let ids = 0;
  const manager = new OrderManager({
    policy: DEFAULT_DISPATCH_POLICY,
    context: (id) => (id === 'wm-101' ? ctx : undefined),
    findByAlert: (alertId) => stored.get(alertId),
    scenarioDispatches: (id) => id !== 'silent-scenario',
    newId: () => `o${++ids}`,
  });
  const apply = (type: AlertEvent['type'], level: Level, when: number, overrides: Partial<Alert> = {}) => {
    const alert = makeAlert({ id: 'a1', deviceId: 'wm-101', level, ...overrides });
    const update = manager.onAlertEvent({ type, alert, to: level, at: when });
    if (update) stored.set(update.order.alertId, update.order);
    return update;
  };
  return { manager, apply, stored };
}

describe('order manager', () => {
  it('routes by level with deadlines from the policy (3 working days across a weekend)', () => {
    const { apply } = setup();
    const friday = at('2026-11-20T16:00:00');
    const order = apply('opened', 'yellow', friday)!.order;
    expect(order).toMatchObject({ id: 'o1', tier: 'grid', priority: 2, status: 'dispatched', version: 1, notify: [] });
    expect(order.assignee).toMatchObject({ tier: 'grid', placeId: 'grid-1' });
    expect(order.responseDueAt).toBe(friday + 24 * HOUR);
    expect(order.resolutionDueAt).toBe(at('2026-11-25T16:00:00')); // Mon, Tue, Wed
    expect(order.subject).toMatchObject({ id: 'hh-101', livingAlone: true, age: 81, contact: { name: 'Resident', phone: '13800000001', address: 'Room 1' } });
    expect(order.subject?.contact).not.toHaveProperty('idNumber');
  });

  it('escalates the same order: level, priority and tier up, deadlines only tighter, leadership added', () => {
    const { apply } = setup();
    const t0 = at('2026-11-23T09:00:00');
    apply('opened', 'yellow', t0);
    const orange = apply('escalated', 'orange', t0 + HOUR)!.order;
    expect(orange).toMatchObject({ id: 'o1', version: 2, tier: 'community', priority: 3, level: 'orange' });
    expect(orange.responseDueAt).toBe(t0 + 3 * HOUR); // 2 h after the escalation, sooner than 24 h after opening
    const red = apply('escalated', 'red', t0 + 2 * HOUR)!.order;
    expect(red).toMatchObject({ id: 'o1', version: 3, tier: 'street', priority: 4, notify: ['leadership'] });
    expect(red.responseDueAt).toBe(t0 + 2 * HOUR + 15 * 60_000);
    const lowered = apply('deescalated', 'yellow', t0 + 3 * HOUR)!;
    expect(lowered.change).toBe('alert_level');
    expect(lowered.order).toMatchObject({ tier: 'street', priority: 4, level: 'red', version: 4 }); // never handed back down
    const cleared = apply('cleared', 'yellow', t0 + 4 * HOUR)!;
    expect(cleared.change).toBe('alert_cleared');
    expect(cleared.order.history.map((h) => h.type)).toEqual(['created', 'escalated', 'escalated', 'alert_level', 'alert_cleared']);
  });

  it('opens a fresh order when the alert escalates after its order was finished', () => {
    const { apply, manager, stored } = setup();
    apply('opened', 'orange', 0);
    const resolved = manager.applyStatus(stored.get('a1')!, 'resolved', HOUR)!.order;
    stored.set('a1', resolved);
    const again = apply('escalated', 'red', 2 * HOUR)!;
    expect(again.change).toBe('created');
    expect(again.order.id).toBe('o2');
  });

  it('applies status reports idempotently and refuses illegal ones with a code', () => {
    const { apply, manager } = setup();
    const order = apply('opened', 'red', 0)!.order;
    const accepted = manager.applyStatus(order, 'accepted', 1_000, 'on my way', 'grid-7')!.order;
    expect(accepted).toMatchObject({ status: 'accepted', version: 2 });
    expect(accepted.history.at(-1)).toMatchObject({ type: 'status', status: 'accepted', note: 'on my way', by: 'grid-7' });
    expect(manager.applyStatus(accepted, 'accepted', 2_000)).toBeUndefined();
    expect(() => manager.applyStatus(accepted, 'rejected', 3_000)).toThrow(expect.objectContaining({ code: 'ERR_ORDER_TRANSITION', statusCode: 409 }));
    expect(() => manager.applyStatus(accepted, 'cancelled', 3_000)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
  });

  it('makes no order for scenarios that do not dispatch, or devices that left the registry', () => {
    const { apply } = setup();
    expect(apply('opened', 'red', 0, { scenarioId: 'silent-scenario' })).toBeUndefined();
    expect(apply('opened', 'red', 0, { deviceId: 'gone' })).toBeUndefined();
  });

  it('hands a device without a grid to the nearest tier above', () => {
    const { grid: _grid, ...noGrid } = ctx;
    expect(assigneeFor(noGrid, 'grid')).toMatchObject({ tier: 'community', placeId: 'community-1' });
    expect(assigneeFor(ctx, 'street')).toMatchObject({ tier: 'street', placeId: 'street-1' });
  });
});
