/**
 * Seeded pseudo-random numbers for the simulators: same seed, same fleet, byte for byte.
 *
 * The generator is mulberry32 (Tommy Ettinger, public domain): one 32-bit word of state, a full
 * 2^32 period, fast in V8 because it stays in int32 arithmetic, and statistically good enough for
 * device noise. Never Math.random (not seedable) and never the wall clock: simulated time is a
 * parameter everywhere.
 *
 * Every device gets its own stream, derived from (seed, deviceId) by hashing, so a device's traffic
 * depends only on the seed and its own id: adding a household to the city, or removing one, leaves
 * every other device's messages unchanged.
 */
export class Rng {
  private state: number;
  /** Box–Muller yields two normals per pair of uniforms; the second is kept for the next call. */
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: no items to pick from');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A normal variate (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** An exponential variate with the given mean (waiting times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}

/**
 * A 32-bit hash of (seed, key): FNV-1a over the key's UTF-16 units, seeded, then the murmur3
 * finaliser so that ids differing in one character land far apart.
 */
export function hashSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The independent stream of one named thing (a device, a household, the incident planner). */
export function streamFor(seed: number, key: string): Rng {
  return new Rng(hashSeed(seed, key));
}

/** A `--seed` value as a 32-bit seed: integers as given, any other text hashed. */
export function parseSeed(text: string | number): number {
  if (typeof text === 'number') return text >>> 0;
  return /^\d+$/.test(text) ? Number(text) >>> 0 : hashSeed(0, text);
}
