import type { EvidenceReading } from '../contracts/detection.js';
import type { EnrichedReading } from '../contracts/registry.js';

/** Alert key of a reading: its subject (household) across devices when `keyBy: subject`, else the device. */
export function keyOf(keyBy: 'device' | 'subject', reading: EnrichedReading): string {
  return keyBy === 'subject' ? reading.ctx.subject?.id ?? reading.deviceId : reading.deviceId;
}

/** The dense number of `keyOf(keyBy, reading)` (see DeviceContext), when the reading's context has one. */
export function keyNumberOf(keyBy: 'device' | 'subject', reading: EnrichedReading): number | undefined {
  // The reading's copy when the decoder made it (the context stays unread), else the context's.
  if (keyBy === 'subject') return reading.subjectNo !== undefined ? reading.subjectNo : reading.ctx.subjectNo;
  return reading.deviceNo !== undefined ? reading.deviceNo : reading.ctx.deviceNo;
}

/**
 * A detection's own copy of a reading kept as evidence. Models hold references to the readings
 * they saw and copy only when they emit, so no reading costs an allocation of its own.
 */
export function evidenceOf(reading: EnrichedReading): EvidenceReading {
  return { deviceId: reading.deviceId, ts: reading.ts, metrics: { ...reading.metrics } };
}
