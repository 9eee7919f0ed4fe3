import { describe, expect, it } from 'vitest';
import type { SupervisionEntry } from '../../../src/contracts/order.js';
import { appendSupervision, lastStep, stepAbove, SUPERVISION_LIMIT } from '../../../src/dispatch/supervision-ladder.js';
import { makeOrder, T0 } from '../../helpers/store-fixtures.js';

const HOUR = 3_600_000;

const entry = (i: number, deadline: SupervisionEntry['deadline']): SupervisionEntry => ({
  at: T0 + i * HOUR, deadline, dueAt: T0 + i * HOUR, from: 'leadership', to: 'leadership', priority: 5, nextDueAt: T0 + (i + 1) * HOUR,
});

describe('supervision ladder', () => {
  it('goes grid → community → street → leadership, and stays at the top', () => {
    expect(['grid', 'community', 'street', 'leadership'].map((t) => stepAbove(t as never))).toEqual(['community', 'street', 'leadership', 'leadership']);
  });

  it('keeps the supervision list bounded without dropping the last step of either deadline', () => {
    let supervision: SupervisionEntry[] = [{ ...entry(0, 'resolution'), from: 'street' }];
    // Hourly response reminders for a week: the one resolution step must survive them.
    for (let i = 1; i <= 7 * 24; i++) supervision = appendSupervision(supervision, entry(i, 'response'));
    expect(supervision).toHaveLength(SUPERVISION_LIMIT);
    expect(supervision[0]).toMatchObject({ deadline: 'resolution', from: 'street' });
    expect(supervision.slice(1).map((s) => s.at)).toEqual(Array.from({ length: SUPERVISION_LIMIT - 1 }, (_, i) => T0 + (7 * 24 - SUPERVISION_LIMIT + 2 + i) * HOUR));
    expect(lastStep(makeOrder({ supervision }), 'resolution')?.at).toBe(T0);
    // A newer resolution step replaces it as the one to keep; the oldest entries go first.
    supervision = appendSupervision(supervision, entry(200, 'resolution'));
    expect(supervision).toHaveLength(SUPERVISION_LIMIT);
    expect(supervision.filter((s) => s.deadline === 'resolution').map((s) => s.at)).toEqual([T0 + 200 * HOUR]);
  });
});
