import type { Assignee } from '../contracts/order.js';
import type { DeviceContext, Place, Tier } from '../contracts/registry.js';
import { TIERS, tierRank } from '../core/tiers.js';

/**
 * The office responsible at `tier` for a device. A device registered directly under a community
 * has no grid: the nearest tier above handles it.
 */
export function assigneeFor(ctx: DeviceContext, tier: Tier): Assignee {
  const byTier: Record<Tier, Place | undefined> = { grid: ctx.grid, community: ctx.community, street: ctx.street };
  let place: Place = ctx.place;
  let actualTier: Tier = ctx.place.kind;
  for (let i = tierRank(tier); i < TIERS.length; i++) {
    const candidate = byTier[TIERS[i]!];
    if (candidate) {
      place = candidate;
      actualTier = TIERS[i]!;
      break;
    }
  }
  const assignee: Assignee = { tier: actualTier, placeId: place.id, placeName: place.name };
  if (place.responsible?.office) assignee.office = place.responsible.office;
  if (place.responsible?.person) assignee.person = place.responsible.person;
  if (place.responsible?.phone) assignee.phone = place.responsible.phone;
  return assignee;
}
