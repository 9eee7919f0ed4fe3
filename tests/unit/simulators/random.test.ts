import { describe, expect, it } from 'vitest';
import { hashSeed, parseSeed, Rng, streamFor } from '../../../simulators/random.js';

describe('seeded random streams', () => {
  it('repeats exactly for the same seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 20 }, ((rng) => () => rng.next())(new Rng(seed)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('gives each device its own stream from (seed, id)', () => {
    expect(hashSeed(1, 'wm-000001')).toBe(hashSeed(1, 'wm-000001'));
    expect(hashSeed(1, 'wm-000001')).not.toBe(hashSeed(1, 'wm-000002'));
    expect(hashSeed(1, 'wm-000001')).not.toBe(hashSeed(2, 'wm-000001'));
    expect(streamFor(7, 'gd-1').next()).toBe(streamFor(7, 'gd-1').next());
  });

  it('draws uniforms in [0, 1) with the right mean, and normals with the right mean and spread', () => {
    const rng = new Rng(123);
    const n = 100_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);

    const normals = Array.from({ length: n }, () => rng.normal(10, 2));
    const mean = normals.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(normals.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('picks, draws integers inclusively and takes chances at the given rate', () => {
    const rng = new Rng(5);
    const ints = new Set(Array.from({ length: 1000 }, () => rng.int(1, 3)));
    expect([...ints].sort()).toEqual([1, 2, 3]);
    expect(new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b'])))).toEqual(new Set(['a', 'b']));
    const hits = Array.from({ length: 20_000 }, () => rng.chance(0.25)).filter(Boolean).length;
    expect(hits / 20_000).toBeCloseTo(0.25, 1);
    expect(() => rng.pick([])).toThrow();
  });

  it('takes integer seeds as given and hashes any other text', () => {
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed('city-a')).toBe(parseSeed('city-a'));
    expect(parseSeed('city-a')).not.toBe(parseSeed('city-b'));
  });
});
