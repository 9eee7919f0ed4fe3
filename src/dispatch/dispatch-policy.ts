import type { Level } from '../contracts/level.js';
import type { Assignee } from '../contracts/order.js';
import type { DeviceContext, Place, Tier } from '../contracts/registry.js';
import type { DeadlineSpec } from './sla-calendar.js';

export interface LevelPolicy {
  tier: Tier;
  /** 1 (blue) .. 4 (red). */
  priority: number;
  /** Parties informed besides the assignee, e.g. `leadership`. */
  notify: string[];
  respondWithin: DeadlineSpec;
  resolveWithin: DeadlineSpec;
}

export type DispatchPolicy = Record<Level, LevelPolicy>;

const HOUR = 3_600_000;

/**
 * Defaults from practice in grassroots governance: blue and yellow are handled by the grid (respond
 * within 24 h, a general matter; resolve within 3 working days, the usual limit for complex
 * matters), orange goes to the community, red to the street with leadership informed and an
 * immediate response (15 minutes to acknowledge). The shipped `rules/dispatch/policy.yaml` states the
 * same table as its `defaults` (a test keeps them equal); without a policy file this is the policy
 * (`BUILT_IN_POLICY` in policy-definition.ts).
 */
export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  blue: { tier: 'grid', priority: 1, notify: [], respondWithin: { ms: 24 * HOUR }, resolveWithin: { workingDays: 3 } },
  yellow: { tier: 'grid', priority: 2, notify: [], respondWithin: { ms: 24 * HOUR }, resolveWithin: { workingDays: 3 } },
  orange: { tier: 'community', priority: 3, notify: [], respondWithin: { ms: 2 * HOUR }, resolveWithin: { ms: 24 * HOUR } },
  red: { tier: 'street', priority: 4, notify: ['leadership'], respondWithin: { ms: 15 * 60_000 }, resolveWithin: { ms: 24 * HOUR } },
};

const TIER_ORDER: readonly Tier[] = ['grid', 'community', 'street'];

export function tierRank(tier: Tier): number {
  return TIER_ORDER.indexOf(tier);
}

/**
 * The office responsible at `tier` for a device. A device registered directly under a community
 * has no grid: the nearest tier above handles it.
 */
export function assigneeFor(ctx: DeviceContext, tier: Tier): Assignee {
  const byTier: Record<Tier, Place | undefined> = { grid: ctx.grid, community: ctx.community, street: ctx.street };
  let place: Place = ctx.place;
  let actualTier: Tier = ctx.place.kind;
  for (let i = tierRank(tier); i < TIER_ORDER.length; i++) {
    const candidate = byTier[TIER_ORDER[i]!];
    if (candidate) {
      place = candidate;
      actualTier = TIER_ORDER[i]!;
      break;
    }
  }
  const assignee: Assignee = { tier: actualTier, placeId: place.id, placeName: place.name };
  if (place.responsible?.office) assignee.office = place.responsible.office;
  if (place.responsible?.person) assignee.person = place.responsible.person;
  if (place.responsible?.phone) assignee.phone = place.responsible.phone;
  return assignee;
}
