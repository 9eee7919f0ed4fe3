import { TIMELINE_LANGS } from '../../contracts/timeline.js';

export const TIMELINE_FORMATS = ['json', 'text'] as const;
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number];

/** `?lang=zh|en` (default: Accept-Language, else zh) and `?format=json|text`. */
export const timelineQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lang: { type: 'string', enum: TIMELINE_LANGS, description: 'language of the sentences; default from Accept-Language, else zh' },
    format: {
      type: 'string', enum: TIMELINE_FORMATS, default: 'json',
      description: 'json: the OrderTimeline; text: text/plain, one line per entry',
    },
  },
} as const;

export interface TimelineQuerystring {
  lang?: (typeof TIMELINE_LANGS)[number];
  format: TimelineFormat;
}

/** An order's narrative timeline. Free of personal data by construction (dispatch/order-timeline.ts). */
export const orderTimelineSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'lang', 'timeZone', 'entries'],
  properties: {
    orderId: { type: 'string' },
    lang: { type: 'string', enum: TIMELINE_LANGS },
    timeZone: { type: 'string', description: 'IANA zone of the place; every `time` is local to it' },
    entries: {
      type: 'array',
      description: 'oldest first',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'time', 'kind', 'text'],
        properties: {
          at: { type: 'number', description: 'epoch ms' },
          time: { type: 'string', description: 'ISO 8601 with offset, local to the place: 2026-09-30T17:00:00+08:00' },
          kind: { type: 'string', description: 'reading, alert_opened, dispatched, accepted, overdue, supervision, ...' },
          text: { type: 'string' },
        },
      },
    },
  },
} as const;
