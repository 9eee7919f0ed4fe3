/** Languages the narrative timeline is written in. */
export type TimelineLang = 'zh' | 'en';

/** One line of an order's narrative timeline (治理叙事). */
export interface TimelineEntry {
  at: number;
  /** `at` in the place's time zone, ISO 8601 with offset (e.g. 2026-09-30T17:00:00+08:00). */
  time: string;
  /** What happened: reading, alert, dispatch, acceptance, progress, overdue, warning, reroute, feedback, ... */
  kind: string;
  text: string;
}

/** A chronological, human-readable account of one order. */
export interface OrderTimeline {
  orderId: string;
  lang: TimelineLang;
  timeZone: string;
  entries: TimelineEntry[];
}
