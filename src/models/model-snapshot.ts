import type { Verdict } from '../contracts/level.js';
import type { Metrics } from '../contracts/reading.js';
import { isLevel } from '../core/levels.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';

/** A reading as a snapshot keeps it: no context (that is the registry's), no ingest time. */
export interface ReadingJson {
  deviceId: string;
  ts: number;
  metrics: Metrics;
}

export function readingToJson(reading: EnrichedReading): ReadingJson {
  return { deviceId: reading.deviceId, ts: reading.ts, metrics: reading.metrics };
}

/** Rebuilds a kept reading with the device's current context; undefined when the device is gone. */
export function readingFromJson(json: ReadingJson | undefined, context: (deviceId: string) => DeviceContext | undefined): EnrichedReading | undefined {
  if (!json || typeof json.deviceId !== 'string' || typeof json.ts !== 'number') return undefined;
  const ctx = context(json.deviceId);
  return ctx ? { deviceId: ctx.device.id, ts: json.ts, receivedAt: json.ts, metrics: json.metrics, ctx } : undefined;
}

export function verdictFromJson(value: unknown): Verdict | undefined {
  return value === 'ok' || isLevel(value) ? value : undefined;
}

/** JSON has no NaN: `null` stands for it. */
export const nanToNull = (n: number): number | null => (Number.isNaN(n) ? null : n);
export const nullToNan = (n: unknown): number => (typeof n === 'number' ? n : NaN);
