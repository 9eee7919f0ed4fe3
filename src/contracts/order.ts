import type { Level } from './level.js';
import type { PersonalData, Tier } from './registry.js';

export type OrderStatus =
  | 'created' | 'dispatched' | 'accepted' | 'in_progress' | 'resolved' | 'closed'
  | 'rejected' | 'false_alarm' | 'cancelled' | 'escalated';

export interface OrderHistoryEntry {
  at: number;
  type: 'created' | 'escalated' | 'status' | 'alert_cleared' | 'alert_level';
  status?: OrderStatus;
  tier?: Tier;
  level?: Level;
  note?: string;
  by?: string;
}

export interface Assignee {
  tier: Tier;
  placeId: string;
  placeName: string;
  office?: string;
  /** Duty person and phone from the registry: personal data, only ever inside orders. */
  person?: string;
  phone?: string;
}

/** A work order for the grid / community / street tier, born from an alert. */
export interface DispatchOrder {
  id: string;
  alertId: string;
  scenarioId: string;
  scenarioName: string;
  category: string;
  level: Level;
  /** 1 (blue) .. 4 (red); only ever goes up for the same order. */
  priority: number;
  tier: Tier;
  assignee: Assignee;
  /** Further parties to inform, e.g. `leadership` for red. */
  notify: string[];
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  responseDueAt: number;
  resolutionDueAt: number;
  /** Increases with every change; (id, version) identifies one published state. */
  version: number;
  deviceId: string;
  /** The device's place and its ancestors, for filtering and statistics by place. */
  placeId: string;
  gridId?: string;
  communityId?: string;
  streetId?: string;
  subject?: { id: string; kind: string; livingAlone: boolean; age?: number; contact?: PersonalData };
  summary: string;
  history: OrderHistoryEntry[];
}
