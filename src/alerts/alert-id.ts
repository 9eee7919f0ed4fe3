import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the OS in blocks: one syscall per 512 ids instead of one per id. */
const POOL_BYTES = 8 * 512;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Alert ids as UUID version 7 (RFC 9562 §5.7): 48 bits of the engine clock's milliseconds, a
 * 12-bit counter that keeps ids of the same millisecond in creation order (RFC 9562 §6.2,
 * method 1), then 62 random bits. Still a UUID, unique without coordination, but ids sort by
 * creation time, so the alerts table's primary-key index grows at its end instead of taking each
 * new id at a random page: a storm of a million alerts dirties a handful of index pages per commit,
 * not one page per alert (measured in bench/results/timers.md).
 *
 * `now` is the engine clock (replay mints ids of its recorded time). A clock that steps back, or
 * more than 4 096 ids in one millisecond, borrow the next millisecond, so ids never go backwards.
 */
export function timeOrderedIds(now: () => number): () => string {
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = Math.max(0, Math.floor(now()));
    if (ms > lastMs) {
      lastMs = ms;
      counter = 0;
    } else if (++counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
    if (offset === POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const r = offset;
    offset += 8;
    // 48-bit milliseconds as 12 hex digits; (ms / 2^32) and (ms mod 2^32) stay exact in doubles.
    const high = Math.floor(ms / 0x1_0000_0000);
    const low = ms >>> 0;
    return (
      HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[low >>> 24]! + HEX[(low >>> 16) & 0xff]! + '-' +
      HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' +
      HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + '-' +
      HEX[0x80 | (pool[r]! & 0x3f)]! + HEX[pool[r + 1]!]! + '-' +
      HEX[pool[r + 2]!]! + HEX[pool[r + 3]!]! + HEX[pool[r + 4]!]! + HEX[pool[r + 5]!]! + HEX[pool[r + 6]!]! + HEX[pool[r + 7]!]!
    );
  };
}
