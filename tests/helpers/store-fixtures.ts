import type { Alert } from '../../src/contracts/alert.js';
import type { DispatchOrder } from '../../src/contracts/order.js';

/**
 * Realistic alerts and orders for store and API tests: nested evidence and history, and (orders
 * only) the resident's personal data, so tests see whether anything is lost or leaked.
 */
export const T0 = Date.UTC(2024, 10, 22, 8, 0, 0);

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const openedAt = overrides.openedAt ?? T0;
  return {
    id: 'alert-1',
    scenarioId: 'elderly-no-water',
    scenarioName: 'No water use by a resident living alone',
    category: 'elderly_care',
    key: 'hh-101',
    level: 'orange',
    peakLevel: 'orange',
    status: 'open',
    openedAt,
    updatedAt: openedAt,
    deviceId: 'wm-101',
    subjectId: 'hh-101',
    placeId: 'grid-a1',
    gridId: 'grid-a1',
    communityId: 'comm-a',
    streetId: 'street-x',
    summary: 'no water use for 8h within 06:00–22:00',
    evidence: {
      readings: [{ deviceId: 'wm-101', ts: openedAt - 28_800_000, metrics: { flow_lpm: 0, total_m3: 12.34, valve_open: true } }],
      facts: { inactiveMs: 28_800_000, activeHours: '06:00–22:00', livingAlone: true },
    },
    flapping: false,
    history: [{ at: openedAt, type: 'opened', to: 'orange', summary: 'no water use for 8h' }],
    ...overrides,
  };
}

export function makeOrder(overrides: Partial<DispatchOrder> = {}): DispatchOrder {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: 'order-1',
    alertId: 'alert-1',
    scenarioId: 'elderly-no-water',
    scenarioName: 'No water use by a resident living alone',
    category: 'elderly_care',
    level: 'orange',
    priority: 3,
    tier: 'community',
    assignee: {
      tier: 'community', placeId: 'comm-a', placeName: '阳光社区', office: '阳光社区居委会',
      person: '李网格', phone: '13800000001',
    },
    notify: ['grid-a1'],
    status: 'dispatched',
    createdAt,
    updatedAt: createdAt,
    responseDueAt: createdAt + 1_800_000,
    resolutionDueAt: createdAt + 86_400_000,
    sla: { respondWithin: { ms: 1_800_000 }, resolveWithin: { ms: 86_400_000 }, warnAt: 0.8, remindEvery: 3_600_000 },
    policyRules: [],
    warned: {},
    overdueCount: 0,
    supervision: [],
    rejectedBy: [],
    version: 1,
    deviceId: 'wm-101',
    placeId: 'grid-a1',
    gridId: 'grid-a1',
    communityId: 'comm-a',
    streetId: 'street-x',
    subject: {
      id: 'hh-101', kind: 'household', livingAlone: true, age: 82,
      contact: { name: '王奶奶', phone: '13900000002', idNumber: '110101194201010027', address: '阳光小区3栋2单元101' },
    },
    summary: 'no water use for 8h within 06:00–22:00',
    history: [{ at: createdAt, type: 'created', status: 'dispatched', tier: 'community', level: 'orange' }],
    ...overrides,
  };
}
