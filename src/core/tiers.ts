import type { Tier } from '../contracts/registry.js';

/** The handling tiers of a dispatch order, lowest first: grid → community → street. */
export const TIERS: readonly Tier[] = ['grid', 'community', 'street'];

/** 0 (grid) .. 2 (street). */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** The tier above `tier`; the street is the top. */
export function tierAbove(tier: Tier): Tier {
  return TIERS[Math.min(TIERS.length - 1, tierRank(tier) + 1)]!;
}
