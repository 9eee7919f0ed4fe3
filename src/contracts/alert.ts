import type { Level } from './level.js';
import type { Evidence } from './detection.js';

export type AlertStatus = 'open' | 'cleared';
export type AlertTransition = 'opened' | 'escalated' | 'deescalated' | 'cleared';

export interface AlertHistoryEntry {
  at: number;
  type: AlertTransition | 'suppressed' | 'flapping';
  from?: Level;
  to?: Level;
  summary: string;
}

export interface Alert {
  id: string;
  scenarioId: string;
  scenarioName: string;
  category: string;
  key: string;
  level: Level;
  peakLevel: Level;
  status: AlertStatus;
  openedAt: number;
  updatedAt: number;
  clearedAt?: number;
  deviceId: string;
  subjectId?: string;
  placeId: string;
  gridId?: string;
  communityId?: string;
  streetId?: string;
  summary: string;
  evidence: Evidence;
  flapping: boolean;
  history: AlertHistoryEntry[];
}

/** One change of an alert's lifecycle, as announced downstream. */
export interface AlertEvent {
  type: AlertTransition;
  alert: Alert;
  from?: Level;
  to?: Level;
  at: number;
}
