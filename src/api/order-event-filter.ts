import type { Tier } from '../contracts/registry.js';
import type { OrderEventRecord } from '../contracts/engine-api.js';

/** What the order stream may filter on. */
export interface OrderEventFilter {
  /** Any of these tiers (the order's tier in that version). */
  tier?: readonly Tier[];
  /** A place id: the order's place, grid, community or street, or its assignee's place (as in `GET /api/orders`). */
  place?: string;
}

/** The routing facts of one order event, read from its CloudEvent `data`. */
interface Routing {
  tier: unknown;
  places: unknown[];
}

/**
 * Parsed once per event however many clients filter it: live events are one object shared by
 * every stream, and a payload is a couple of kilobytes of JSON.
 */
const routingCache = new WeakMap<OrderEventRecord, Routing | null>();

function routingOf(event: OrderEventRecord): Routing | null {
  let routing = routingCache.get(event);
  if (routing === undefined) {
    routing = parseRouting(event.payload);
    routingCache.set(event, routing);
  }
  return routing;
}

/** The fields of a CloudEvent's order the filters read; nothing is trusted to be there. */
interface RoutedEvent {
  data?: {
    tier?: unknown; placeId?: unknown; gridId?: unknown; communityId?: unknown; streetId?: unknown;
    assignee?: { placeId?: unknown } | null;
  } | null;
}

function parseRouting(payload: string): Routing | null {
  try {
    const order = (JSON.parse(payload) as RoutedEvent | null)?.data;
    if (typeof order !== 'object' || order === null) return null;
    return {
      tier: order.tier,
      places: [order.placeId, order.gridId, order.communityId, order.streetId, order.assignee?.placeId],
    };
  } catch {
    return null;
  }
}

/**
 * The predicate for a stream's filter; undefined when it filters nothing (no payload is parsed
 * then). An event whose payload carries no order matches no filter.
 */
export function orderEventPredicate(filter: OrderEventFilter): ((event: OrderEventRecord) => boolean) | undefined {
  const { tier, place } = filter;
  if (tier === undefined && place === undefined) return undefined;
  return (event) => {
    const routing = routingOf(event);
    if (routing === null) return false;
    if (tier !== undefined && !tier.includes(routing.tier as Tier)) return false;
    if (place !== undefined && !routing.places.includes(place)) return false;
    return true;
  };
}
