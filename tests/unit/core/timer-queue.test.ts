import { describe, expect, it } from 'vitest';
import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';
import { DEFAULT_FIRING_BUDGET, TimerQueue, type TimerEntry } from '../../../src/core/timer-queue.js';

interface Entry extends TimerEntry {
  name: string;
}

const entry = (name: string): Entry => ({ name, dueAt: 0, heapIndex: -1 });

/** Deterministic PRNG (mulberry32) so a failing random run can be repeated. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TimerQueue', () => {
  it('fires entries in due order, each at its own due time', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e, now) => fired.push(`${e.name}@${now}`));
    queue.arm(entry('c'), 300);
    queue.arm(entry('a'), 100);
    queue.arm(entry('b'), 200);
    expect(queue.size).toBe(3);
    expect(queue.nextDueAt).toBe(100);

    scheduler.advanceTo(150);
    expect(fired).toEqual(['a@100']);
    scheduler.advanceTo(1_000);
    expect(fired).toEqual(['a@100', 'b@200', 'c@300']);
    expect(queue.size).toBe(0);
    expect(queue.nextDueAt).toBe(Infinity);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('moves an armed entry earlier or later instead of keeping a stale copy', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e, now) => fired.push(`${e.name}@${now}`));
    const early = entry('early');
    const late = entry('late');
    queue.arm(early, 500);
    queue.arm(late, 100);
    queue.arm(early, 50); // earlier
    queue.arm(late, 900); // later
    expect(queue.size).toBe(2);
    expect(queue.nextDueAt).toBe(50);

    scheduler.advanceTo(899);
    expect(fired).toEqual(['early@50']);
    scheduler.advanceTo(2_000);
    expect(fired).toEqual(['early@50', 'late@900']);
  });

  it('disarms: a disarmed entry never fires', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e) => fired.push(e.name));
    const a = entry('a');
    const b = entry('b');
    queue.arm(a, 10);
    queue.arm(b, 20);
    queue.disarm(a);
    expect(queue.isArmed(a)).toBe(false);
    expect(a.heapIndex).toBe(-1);
    queue.disarm(a); // twice: no-op
    expect(queue.size).toBe(1);
    scheduler.advanceTo(100);
    expect(fired).toEqual(['b']);
  });

  it('lets onDue re-arm the firing entry', () => {
    const scheduler = new ManualScheduler(0);
    const fired: number[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e, now) => {
      fired.push(now);
      if (fired.length < 4) queue.arm(e, now + 60);
    });
    queue.arm(entry('tick'), 60);
    scheduler.advanceTo(10_000);
    expect(fired).toEqual([60, 120, 180, 240]);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('fires 10 000 randomly armed, re-armed and disarmed entries in order with one scheduler action at a time', () => {
    const scheduler = new ManualScheduler(0);
    const next = random(42);
    let maxPending = 0;
    const fired: Entry[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e, now) => {
      expect(now).toBeGreaterThanOrEqual(e.dueAt);
      fired.push(e);
      maxPending = Math.max(maxPending, scheduler.pendingCount);
    });
    const entries = Array.from({ length: 10_000 }, (_, i) => entry(`e${i}`));
    for (const e of entries) {
      queue.arm(e, Math.floor(next() * 1_000_000));
      maxPending = Math.max(maxPending, scheduler.pendingCount);
    }
    const disarmed = new Set<Entry>();
    for (let i = 0; i < 2_000; i++) {
      const e = entries[Math.floor(next() * entries.length)]!;
      if (next() < 0.25) {
        queue.disarm(e);
        disarmed.add(e);
      } else {
        queue.arm(e, Math.floor(next() * 1_000_000));
        disarmed.delete(e);
      }
      maxPending = Math.max(maxPending, scheduler.pendingCount);
    }
    const expectedDue = new Map(entries.filter((e) => !disarmed.has(e)).map((e) => [e, e.dueAt]));

    // Advance in uneven steps, as replay does, so wakeups also land between due times.
    for (let t = 0; t <= 1_000_000; t += 1 + Math.floor(next() * 5_000)) scheduler.advanceTo(t);
    scheduler.advanceTo(1_000_001);

    expect(fired).toHaveLength(expectedDue.size);
    expect(new Set(fired).size).toBe(fired.length);
    for (let i = 1; i < fired.length; i++) expect(fired[i]!.dueAt).toBeGreaterThanOrEqual(fired[i - 1]!.dueAt);
    for (const e of fired) expect(e.dueAt).toBe(expectedDue.get(e));
    expect(maxPending).toBeLessThanOrEqual(1);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('fires on virtual time inside TestScheduler.run()', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const fired$ = new Observable<string>((subscriber) => {
        const queue = new TimerQueue<Entry>(testScheduler, (e) => subscriber.next(e.name));
        queue.arm(entry('b'), 5_000);
        queue.arm(entry('a'), 1_000);
        const c = entry('c');
        queue.arm(c, 3_000);
        queue.disarm(c);
        return () => queue.dispose();
      });
      expectObservable(fired$).toBe('1000ms a 3999ms b');
    });
  });

  it('dispose cancels the scheduler action and ignores later arms', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e) => fired.push(e.name));
    const a = entry('a');
    queue.arm(a, 10);
    expect(scheduler.pendingCount).toBe(1);
    queue.dispose();
    expect(scheduler.pendingCount).toBe(0);
    expect(a.heapIndex).toBe(-1);
    queue.arm(entry('b'), 20);
    scheduler.advanceTo(100);
    expect(fired).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it('fireDue(now) fires what is due without the scheduler (replay drives it)', () => {
    const scheduler = new ManualScheduler(0);
    const fired: string[] = [];
    const queue = new TimerQueue<Entry>(scheduler, (e, now) => fired.push(`${e.name}@${now}`));
    queue.arm(entry('a'), 10);
    queue.arm(entry('b'), 30);
    queue.fireDue(20);
    expect(fired).toEqual(['a@20']);
    expect(queue.size).toBe(1);
  });

  describe('firing budget per wake-up', () => {
    /** A ManualScheduler seen through a wrapper that counts actions scheduled and run. */
    function counted(base: ManualScheduler) {
      const counts = { scheduled: 0, ran: 0 };
      let extraMs = 0;
      const scheduler: SchedulerLike = {
        // Time that passes while a wake-up fires (what a real clock does), on top of the virtual clock.
        now: () => base.now() + extraMs,
        schedule<S>(work: (this: SchedulerAction<S>, state: S) => void, delay?: number, state?: S): Subscription {
          counts.scheduled++;
          return base.schedule<S>(function (this: SchedulerAction<S>, s: S) {
            counts.ran++;
            work.call(this, s);
          }, delay, state);
        },
      };
      return { scheduler, counts, spend: (ms: number) => (extraMs += ms) };
    }

    it('fires at most maxEntries per wake-up, lets other actions at the same instant run between, and an advance still fires everything', () => {
      const scheduler = new ManualScheduler(0);
      const log: string[] = [];
      const queue = new TimerQueue<Entry>(scheduler, (e, now) => log.push(`${e.name}@${now}`), { maxEntries: 1_000 });
      for (let i = 0; i < 2_500; i++) queue.arm(entry(`e${i}`), 100 + (i % 2)); // due at 100 and 101
      scheduler.schedule(() => log.push('other@100'), 100); // e.g. another queue's wake-up, same instant

      scheduler.advanceTo(100);
      // 1 250 entries are due at 100: the first wake-up fires 1 000, the other action runs, then the rest.
      expect(log.indexOf('other@100')).toBe(1_000);
      expect(log.filter((l) => l.endsWith('@100'))).toHaveLength(1_251);
      expect(queue.size).toBe(1_250);

      scheduler.advanceTo(5_000);
      expect(log.filter((l) => l.endsWith('@101'))).toHaveLength(1_250);
      expect(queue.size).toBe(0);
      expect(scheduler.pendingCount).toBe(0);
      // In due order, as without a budget.
      const fired = log.filter((l) => l !== 'other@100').map((l) => Number(l.slice(l.indexOf('@') + 1)));
      expect(fired).toEqual([...fired].sort((a, b) => a - b));
    });

    it('hands the loop back once a wake-up has spent maxMs of the clock, and fires the rest at once (delay 0)', () => {
      const base = new ManualScheduler(0);
      const { scheduler, counts, spend } = counted(base);
      const batches: number[] = [];
      const queue = new TimerQueue<Entry>(scheduler, () => {
        batches.push(counts.ran); // which wake-up fired this entry
        spend(2); // each entry's work takes 2 ms of the clock
      }, { maxEntries: 1_000, maxMs: 5 });
      for (let i = 0; i < 10; i++) queue.arm(entry(`e${i}`), 50);

      base.advanceTo(50);
      // 5 ms per wake-up at 2 ms per entry: three entries each (the third ends past the budget).
      expect(batches).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
      expect(queue.size).toBe(0);
      expect(base.pendingCount).toBe(0);
    });

    it('fires a budgeted burst at its own frame inside TestScheduler.run()', () => {
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      const frames: number[] = [];
      testScheduler.run(() => {
        const queue = new TimerQueue<Entry>(testScheduler, () => frames.push(testScheduler.now()), { maxEntries: 10 });
        for (let i = 0; i < 35; i++) queue.arm(entry(`e${i}`), 1_000);
      });
      expect(frames).toHaveLength(35);
      expect(new Set(frames)).toEqual(new Set([1_000]));
    });

    it('schedules one wake-up after a burst, however many entries onDue re-armed', () => {
      const base = new ManualScheduler(0);
      const { scheduler, counts } = counted(base);
      const fired: number[] = [];
      const queue = new TimerQueue<Entry>(scheduler, (e, now) => {
        fired.push(now);
        if (now < 300) queue.arm(e, now + 100);
      });
      for (let i = 0; i < 500; i++) queue.arm(entry(`e${i}`), 100);
      expect(counts.scheduled).toBe(1);
      base.advanceTo(100);
      expect(counts.scheduled).toBe(2); // the wake-up for 200, once for all 500 re-arms
      base.advanceTo(1_000);
      expect(fired).toHaveLength(1_500);
      expect(queue.size).toBe(0);
    });

    it('refuses a budget that could never fire anything', () => {
      expect(() => new TimerQueue<Entry>(new ManualScheduler(0), () => undefined, { maxEntries: 0 })).toThrow(RangeError);
      expect(DEFAULT_FIRING_BUDGET.maxEntries).toBeGreaterThanOrEqual(1);
    });
  });
});
