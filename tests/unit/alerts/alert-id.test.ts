import { describe, expect, it } from 'vitest';
import { timeOrderedIds } from '../../../src/alerts/alert-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedIds (UUIDv7 on the engine clock)', () => {
  it('mints RFC 9562 version 7 UUIDs that carry the clock\'s millisecond', () => {
    const at = Date.UTC(2025, 5, 1, 12, 0, 0, 123);
    const id = timeOrderedIds(() => at)();
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts as text in creation order: across milliseconds and within one', () => {
    let now = Date.UTC(2025, 0, 1);
    const next = timeOrderedIds(() => now);
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i % 7 === 0) now += 1 + (i % 3);
      ids.push(next());
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('never goes backwards: a clock that steps back, or more than 4 096 ids in one millisecond, borrow the next', () => {
    let now = 1_000_000;
    const next = timeOrderedIds(() => now);
    const ids = Array.from({ length: 5_000 }, () => next()); // one millisecond
    now = 999_000; // the clock steps back
    ids.push(next(), next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('keeps 62 random bits: ids of the same instant from two generators differ', () => {
    const a = timeOrderedIds(() => 5)();
    const b = timeOrderedIds(() => 5)();
    expect(a.slice(0, 19)).toBe(b.slice(0, 19)); // same time and counter
    expect(a).not.toBe(b);
  });
});
