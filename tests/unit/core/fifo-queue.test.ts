import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FifoQueue } from '../../../src/core/fifo-queue.js';

describe('FifoQueue (property)', () => {
  it('behaves as an array used with push and shift, across compactions', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('take' as const), fc.constant('clear' as const)), { maxLength: 5_000 }), (ops) => {
        const queue = new FifoQueue<number>();
        let model: number[] = [];
        for (const op of ops) {
          if (op === 'take') expect(queue.take()).toBe(model.shift());
          else if (op === 'clear') {
            queue.clear();
            model = [];
          } else {
            queue.push(op);
            model.push(op);
          }
          expect(queue.size).toBe(model.length);
        }
      }),
      { numRuns: 50 },
    );
  });
});
