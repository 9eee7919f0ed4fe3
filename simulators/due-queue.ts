/**
 * The devices of a simulation ordered by when each is next due: a binary min-heap of device
 * indices keyed by (due time, index). The index breaks ties, so two runs pop devices in the same
 * order and the recording is byte-identical. Two typed arrays, 12 bytes per device: a city of
 * 250 000 devices costs 3 MB here.
 */
export class DueQueue {
  private readonly due: Float64Array;
  private readonly heap: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    this.due = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(index: number, dueAt: number): void {
    this.due[index] = dueAt;
    this.heap[this.size] = index;
    this.up(this.size++);
  }

  /** The index due first (the queue must not be empty). */
  peek(): number {
    return this.heap[0]!;
  }

  peekDue(): number {
    return this.size === 0 ? Infinity : this.due[this.heap[0]!]!;
  }

  /** Gives the first device a new due time (cheaper than pop + push). */
  reschedule(dueAt: number): void {
    this.due[this.heap[0]!] = dueAt;
    this.down(0);
  }

  pop(): number {
    const top = this.heap[0]!;
    this.size--;
    if (this.size > 0) {
      this.heap[0] = this.heap[this.size]!;
      this.down(0);
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.due[a]!;
    const db = this.due[b]!;
    return da < db || (da === db && a < b);
  }

  private up(at: number): void {
    const { heap } = this;
    const item = heap[at]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(item, heap[parent]!)) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = item;
  }

  private down(at: number): void {
    const { heap, size } = this;
    const item = heap[at]!;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, item)) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = item;
  }
}
