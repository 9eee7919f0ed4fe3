import { listPattern } from '../query-params.js';
import { idValueSchema } from './common.js';
import { TIERS } from './order.js';

/** An order event log id as a client sends it back: digits, safe as a JS number. */
const EVENT_ID_PATTERN = '^[0-9]{1,15}$';

export const orderStreamQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lastEventId: {
      type: 'string',
      pattern: EVENT_ID_PATTERN,
      description: 'Resume after this event id (the Last-Event-ID header wins when both are sent). 0 replays the whole retained log; absent means live events only.',
    },
    tier: { type: 'string', pattern: listPattern(TIERS), description: 'comma-separated: events of orders at any of these tiers' },
    place: { ...idValueSchema, description: "events of orders whose place, grid, community, street or assignee place is this" },
  },
} as const;

export interface OrderStreamQuerystring {
  lastEventId?: string;
  tier?: string;
  place?: string;
}

export const orderStreamHeadersSchema = {
  type: 'object',
  properties: {
    // Fastify matches header names in lower case. An empty value is what a client that saw no event
    // may send: the same as none.
    'last-event-id': { type: 'string', pattern: '^[0-9]{0,15}$', description: 'Resume after this event id (EventSource sends it on reconnect).' },
  },
} as const;

export interface OrderStreamHeaders {
  'last-event-id'?: string;
}
