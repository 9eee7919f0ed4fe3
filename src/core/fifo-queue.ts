/**
 * A first-in first-out queue that does not shift arrays: taken items are dropped from the front
 * in bulk once they are half of it. The group commit's staged changes and the relay's entries go
 * through one (thousands per burst; `Array.shift` would copy the rest each time).
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  take(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    // Released at once: a taken change holds its serialised alert and announcements.
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Compact once this many taken slots sit at the front (and they are at least half). */
const COMPACT_AFTER = 1_024;
