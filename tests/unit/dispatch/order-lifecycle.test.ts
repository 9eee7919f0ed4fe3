import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '../../../src/contracts/order.js';
import {
  canTransition, ENGINE_STATUSES, isFinished, ORDER_STATUSES, REPORTABLE_STATUSES,
} from '../../../src/dispatch/order-lifecycle.js';

/** The whole state machine, written out: every pair not listed here must be refused. */
const LEGAL: Array<[OrderStatus, OrderStatus]> = [
  ['created', 'dispatched'], ['created', 'cancelled'],
  ['dispatched', 'accepted'], ['dispatched', 'in_progress'], ['dispatched', 'resolved'], ['dispatched', 'rejected'],
  ['dispatched', 'false_alarm'], ['dispatched', 'cancelled'], ['dispatched', 'escalated'],
  ['escalated', 'accepted'], ['escalated', 'in_progress'], ['escalated', 'resolved'], ['escalated', 'rejected'],
  ['escalated', 'false_alarm'], ['escalated', 'cancelled'], ['escalated', 'escalated'],
  ['accepted', 'in_progress'], ['accepted', 'resolved'], ['accepted', 'false_alarm'],
  ['in_progress', 'resolved'], ['in_progress', 'false_alarm'],
  ['resolved', 'closed'], ['resolved', 'in_progress'],
  ['rejected', 'dispatched'], ['rejected', 'escalated'], ['rejected', 'cancelled'],
  ['false_alarm', 'closed'],
];

describe('order lifecycle', () => {
  const legal = new Set(LEGAL.map(([a, b]) => `${a}>${b}`));

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const expected = legal.has(`${from}>${to}`);
      it(`${from} → ${to} is ${expected ? 'legal' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(expected);
      });
    }
  }

  it('has ten statuses, split between what the engine sets and what handlers report', () => {
    expect(ORDER_STATUSES).toHaveLength(10);
    expect([...ENGINE_STATUSES, ...REPORTABLE_STATUSES].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('ends in closed or cancelled, with no way out', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition('closed', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
    expect(['resolved', 'closed', 'false_alarm', 'cancelled'].every((s) => isFinished(s as OrderStatus))).toBe(true);
    expect(['created', 'dispatched', 'accepted', 'in_progress', 'rejected', 'escalated'].some((s) => isFinished(s as OrderStatus))).toBe(false);
  });
});
