/** Languages the narrative timeline is written in. */
export const TIMELINE_LANGS = ['zh', 'en'] as const;
export type TimelineLang = (typeof TIMELINE_LANGS)[number];

/**
 * What a timeline line tells:
 * - readings: `reading` (one triggering reading), `readings_omitted` (how many earlier ones are not listed);
 * - the alert: `alert_opened`, `alert_escalated`, `alert_deescalated`, `alert_cleared`,
 *   `alert_flapping`, `alert_suppressed` (from the alert's history; without the alert, the order's own
 *   notes `alert_level` and `alert_cleared` stand in);
 * - the order: `dispatched` (also a re-dispatch), `escalated`, `rerouted`, `accepted`,
 *   `in_progress`, `resolved`, `false_alarm`, `rejected`, `closed`, `cancelled`, `status` (any other
 *   status);
 * - deadlines: `deadline_warning`, `overdue`, `supervision` (督办: the step up the ladder).
 */
export type TimelineKind =
  | 'reading' | 'readings_omitted'
  | 'alert_opened' | 'alert_escalated' | 'alert_deescalated' | 'alert_cleared' | 'alert_flapping' | 'alert_suppressed'
  | 'alert_level'
  | 'dispatched' | 'escalated' | 'rerouted'
  | 'accepted' | 'in_progress' | 'resolved' | 'false_alarm' | 'rejected' | 'closed' | 'cancelled' | 'status'
  | 'deadline_warning' | 'overdue' | 'supervision';

/** One line of an order's narrative timeline (治理叙事). Free of personal data. */
export interface TimelineEntry {
  at: number;
  /** `at` in the place's time zone, ISO 8601 with offset (e.g. 2026-09-30T17:00:00+08:00). */
  time: string;
  kind: TimelineKind;
  /** One sentence in the timeline's language, without the time (see `time`). */
  text: string;
}

/** A chronological, human-readable account of one order. */
export interface OrderTimeline {
  orderId: string;
  lang: TimelineLang;
  timeZone: string;
  /** Oldest first; entries at the same instant keep the order in which they happened. */
  entries: TimelineEntry[];
}
