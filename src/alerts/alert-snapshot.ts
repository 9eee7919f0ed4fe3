import type { AlertEvent } from '../contracts/alert.js';

/**
 * The alert as it was at this event. The alert manager changes its alerts in place; whatever
 * announces or decides on an event later (the dispatch policy, the group commit) takes a snapshot
 * first, so it shows the state of that moment.
 */
export function snapshotEvent(event: AlertEvent): AlertEvent {
  return { ...event, alert: { ...event.alert, history: [...event.alert.history] } };
}
