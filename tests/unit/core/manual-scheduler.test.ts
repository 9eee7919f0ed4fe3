import { describe, expect, it } from 'vitest';
import { delay, interval, of, take, timer } from 'rxjs';
import { ManualScheduler } from '../../../src/core/manual-scheduler.js';

describe('ManualScheduler', () => {
  it('runs actions in due order, FIFO among equal due times, with now() at each due time', () => {
    const scheduler = new ManualScheduler(1_000);
    const runs: string[] = [];
    const record = (name: string) => () => runs.push(`${name}@${scheduler.now()}`);
    scheduler.schedule(record('c'), 30);
    scheduler.schedule(record('a1'), 10);
    scheduler.schedule(record('b'), 20);
    scheduler.schedule(record('a2'), 10);
    expect(scheduler.pendingCount).toBe(4);

    scheduler.advanceTo(1_015);
    expect(runs).toEqual(['a1@1010', 'a2@1010']);
    expect(scheduler.now()).toBe(1_015);

    scheduler.advanceBy(100);
    expect(runs).toEqual(['a1@1010', 'a2@1010', 'b@1020', 'c@1030']);
    expect(scheduler.now()).toBe(1_115);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('never moves the clock backwards', () => {
    const scheduler = new ManualScheduler(500);
    scheduler.advanceTo(100);
    expect(scheduler.now()).toBe(500);
  });

  it('does not run a cancelled action and forgets it', () => {
    const scheduler = new ManualScheduler();
    const runs: number[] = [];
    const keep = scheduler.schedule(() => runs.push(1), 10);
    const drop = scheduler.schedule(() => runs.push(2), 5);
    drop.unsubscribe();
    expect(scheduler.pendingCount).toBe(1);
    scheduler.advanceBy(20);
    expect(runs).toEqual([1]);
    keep.unsubscribe(); // after running: harmless
    expect(scheduler.pendingCount).toBe(0);
  });

  it('reschedules from inside work, reusing the action as RxJS actions do', () => {
    const scheduler = new ManualScheduler();
    const runs: string[] = [];
    const subscription = scheduler.schedule<number>(function (count) {
      runs.push(`${count}@${scheduler.now()}`);
      if (count! < 3) this.schedule(count! + 1, 10);
    }, 10, 0);
    scheduler.advanceBy(25);
    expect(runs).toEqual(['0@10', '1@20']);
    expect(scheduler.pendingCount).toBe(1);
    subscription.unsubscribe(); // cancels the rescheduled run, not just the first one
    expect(scheduler.pendingCount).toBe(0);
    scheduler.advanceBy(100);
    expect(runs).toEqual(['0@10', '1@20']);
  });

  it('runs work scheduled during an advance when it falls due within the same advance', () => {
    const scheduler = new ManualScheduler();
    const runs: string[] = [];
    scheduler.schedule(() => {
      runs.push(`outer@${scheduler.now()}`);
      scheduler.schedule(() => runs.push(`inner@${scheduler.now()}`), 0);
      scheduler.schedule(() => runs.push(`later@${scheduler.now()}`), 50);
    }, 10);
    scheduler.advanceTo(40);
    expect(runs).toEqual(['outer@10', 'inner@10']);
    scheduler.advanceTo(60);
    expect(runs).toEqual(['outer@10', 'inner@10', 'later@60']);
  });

  it('drives RxJS time operators', () => {
    const scheduler = new ManualScheduler(0);
    const seen: string[] = [];
    of('x').pipe(delay(50, scheduler)).subscribe((v) => seen.push(`${v}@${scheduler.now()}`));
    timer(20, scheduler).subscribe(() => seen.push(`timer@${scheduler.now()}`));
    interval(30, scheduler).pipe(take(3)).subscribe((n) => seen.push(`i${n}@${scheduler.now()}`));
    scheduler.advanceBy(49);
    expect(seen).toEqual(['timer@20', 'i0@30']);
    scheduler.advanceBy(100);
    expect(seen).toEqual(['timer@20', 'i0@30', 'x@50', 'i1@60', 'i2@90']);
    expect(scheduler.pendingCount).toBe(0);
  });
});
