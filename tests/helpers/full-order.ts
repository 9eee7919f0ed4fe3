import type { DispatchOrder } from '../../src/contracts/order.js';
import { T0, makeOrder } from './store-fixtures.js';

const HOUR = 3_600_000;

/**
 * An order with every optional field set, nested ones included (department, acceptedAt, closedAt,
 * supervision, a working-day SLA, every history field): what schema and serialisation tests need
 * to see that nothing is undeclared or dropped. `satisfies Required<...>` makes a field added to
 * the contract fail the build here until it is added.
 */
export function fullOrder(overrides: Partial<DispatchOrder> = {}): DispatchOrder {
  const base = makeOrder();
  const order = {
    ...base,
    level: 'red',
    priority: 4,
    tier: 'street',
    status: 'closed',
    version: 7,
    updatedAt: T0 + 30 * HOUR,
    placeId: 'grid-a1',
    gridId: 'grid-a1',
    communityId: 'comm-a',
    streetId: 'street-x',
    assignee: { tier: 'street', placeId: 'street-x', placeName: '新华街道', office: '新华街道办事处 城市运行中心', person: '张主任', phone: '13800000003' },
    notify: ['leadership'],
    subject: { id: 'hh-101', kind: 'household', livingAlone: true, age: 82, contact: { name: '王奶奶', phone: '13900000002', address: '阳光小区3栋2单元101' } },
    department: { id: 'gas-co', name: '新华燃气公司', phone: '96777', kind: 'gas' },
    sla: { respondWithin: { ms: 900_000 }, resolveWithin: { workingDays: 3 }, warnAt: 0.8, remindEvery: HOUR },
    policyRules: ['red-to-street', 'gas-department'],
    acceptedAt: T0 + 2 * HOUR,
    resolvedAt: T0 + 26 * HOUR,
    closedAt: T0 + 30 * HOUR,
    warned: { response: T0 + 900_000, resolution: T0 + 72 * HOUR },
    overdueCount: 1,
    supervision: [{
      at: T0 + 900_000, deadline: 'response', dueAt: T0 + 900_000, from: 'community', to: 'street', priority: 4, nextDueAt: T0 + 1_800_000,
    }],
    rejectedBy: ['comm-a'],
    history: [
      { at: T0, type: 'created', status: 'dispatched', tier: 'community', level: 'orange' },
      { at: T0 + 720_000, type: 'deadline_warning', deadline: 'response' },
      { at: T0 + 900_000, type: 'overdue', deadline: 'response', tier: 'street', level: 'red' },
      { at: T0 + HOUR, type: 'rerouted', assigneePlaceId: 'gas-co', note: 'community rejected: gas is the gas company\'s', by: 'comm-a-duty' },
      { at: T0 + 2 * HOUR, type: 'status', status: 'accepted', by: 'street-x-duty' },
      { at: T0 + 26 * HOUR, type: 'status', status: 'resolved', note: 'valve replaced' },
      { at: T0 + 30 * HOUR, type: 'status', status: 'closed' },
    ],
  } satisfies Required<DispatchOrder>;
  return { ...order, ...overrides };
}
