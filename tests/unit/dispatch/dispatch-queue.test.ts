import { describe, expect, it } from 'vitest';
import { DispatchQueue } from '../../../src/dispatch/dispatch-queue.js';

/** A promise settled from outside, to decide when a "policy" answers. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('dispatch queue', () => {
  it('applies a task with nothing to wait for at once, synchronously, when idle', () => {
    const queue = new DispatchQueue();
    const applied: string[] = [];
    queue.push({ prepare: () => 'x', apply: (p) => applied.push(p), fail: () => applied.push('failed') });
    expect(applied).toEqual(['x']);
  });

  it('applies in submission order even when later decisions come back first', async () => {
    const queue = new DispatchQueue();
    const slow = deferred<string>();
    const applied: string[] = [];
    queue.push({ prepare: () => slow.promise, apply: (p) => applied.push(p), fail: () => undefined });
    queue.push({ prepare: () => 'second', apply: (p) => applied.push(p), fail: () => undefined });
    queue.push({ prepare: () => Promise.resolve('third'), apply: (p) => applied.push(p), fail: () => undefined });
    await Promise.resolve();
    expect(applied).toEqual([]); // the first one still waits for its policy decision
    slow.resolve('first');
    await queue.whenIdle();
    expect(applied).toEqual(['first', 'second', 'third']);
  });

  it('applies a whole batch in one synchronous stretch (one group commit for a storm)', async () => {
    const queue = new DispatchQueue();
    const seenIo: boolean[] = [];
    let ioRan = false;
    setImmediate(() => (ioRan = true)); // the group commit's transaction would run in such a gap
    for (let i = 0; i < 100; i++) queue.push({ prepare: () => Promise.resolve(i), apply: () => seenIo.push(ioRan), fail: () => undefined });
    await queue.whenIdle();
    expect(seenIo).toHaveLength(100);
    expect(seenIo.every((ran) => !ran)).toBe(true);
  });

  it('reports a failed preparation or apply to the task and carries on with the next', async () => {
    const queue = new DispatchQueue();
    const seen: string[] = [];
    queue.push({ prepare: () => Promise.reject(new Error('policy down')), apply: () => seen.push('applied 1'), fail: (e) => seen.push(e.message) });
    queue.push({ prepare: () => 1, apply: () => { throw new Error('409'); }, fail: (e) => seen.push(e.message) });
    queue.push({ prepare: () => { throw new Error('bad facts'); }, apply: () => seen.push('applied 3'), fail: (e) => seen.push(e.message) });
    queue.push({ prepare: () => 4, apply: () => seen.push('applied 4'), fail: (e) => seen.push(e.message) });
    await queue.whenIdle();
    expect(seen).toEqual(['policy down', '409', 'bad facts', 'applied 4']);
  });

  it('run() answers with what apply returned, or rejects with its error', async () => {
    const queue = new DispatchQueue();
    await expect(queue.run(() => Promise.resolve(2), (n) => n * 21)).resolves.toBe(42);
    await expect(queue.run(() => undefined, () => { throw new Error('illegal'); })).rejects.toThrow('illegal');
  });
});
