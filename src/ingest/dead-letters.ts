import type { RawMessage } from '../contracts/reading.js';
import {
  ERR_CLOCK_SKEW,
  ERR_CONFIG_INVALID,
  ERR_DEVICE_UNKNOWN,
  ERR_PAYLOAD_MALFORMED,
  ERR_PAYLOAD_SCHEMA,
  ERR_PAYLOAD_TOO_LARGE,
  ERR_PIPELINE_STAGE,
  ERR_TOPIC_INVALID,
  type RiskwatchError,
} from '../core/errors.js';

/**
 * Why a message was rejected. Also the last level of the MQTT topic `rw/deadletter/{reason}`.
 * `internal` is a bug in the engine (ERR_PIPELINE_STAGE), not bad input: kept so it can be studied.
 */
export const DEAD_LETTER_REASONS = ['bad_topic', 'too_large', 'malformed', 'schema', 'unknown_device', 'clock_skew', 'internal'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** Error code → dead-letter reason: the one table. Codes not listed count as `internal`. */
export const DEAD_LETTER_REASON_BY_CODE: Readonly<Record<string, DeadLetterReason>> = Object.freeze({
  [ERR_TOPIC_INVALID.code]: 'bad_topic',
  [ERR_PAYLOAD_TOO_LARGE.code]: 'too_large',
  [ERR_PAYLOAD_MALFORMED.code]: 'malformed',
  [ERR_PAYLOAD_SCHEMA.code]: 'schema',
  [ERR_DEVICE_UNKNOWN.code]: 'unknown_device',
  [ERR_CLOCK_SKEW.code]: 'clock_skew',
  [ERR_PIPELINE_STAGE.code]: 'internal',
});

export function deadLetterReason(code: string): DeadLetterReason {
  return DEAD_LETTER_REASON_BY_CODE[code] ?? 'internal';
}

/** A reason name (`schema`) or an error code (`ERR_PAYLOAD_SCHEMA`) → the reason; undefined for neither. */
export function toDeadLetterReason(reasonOrCode: string): DeadLetterReason | undefined {
  if ((DEAD_LETTER_REASONS as readonly string[]).includes(reasonOrCode)) return reasonOrCode as DeadLetterReason;
  return DEAD_LETTER_REASON_BY_CODE[reasonOrCode];
}

export interface DeadLetter {
  /** Sequence number, 1 for the first dead letter since start; never reused. */
  id: number;
  /** receivedAt of the message (engine clock, epoch ms). */
  at: number;
  topic: string;
  reason: DeadLetterReason;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** Size of the whole payload. */
  payloadBytes: number;
  /** The first 256 bytes of the payload as UTF-8 (cut at a character boundary), never more. */
  payloadPreview: string;
}

export interface DeadLetterListQuery {
  /** A reason name, or the error code it maps from. */
  reason?: string;
  limit?: number;
  offset?: number;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Kept dead letters matching the query's reason (not only this page). */
  total: number;
  /** Dead letters per reason since start, including those the ring has overwritten. */
  counts: Record<DeadLetterReason, number>;
}

export const DEAD_LETTER_CAPACITY = 1000;
export const PAYLOAD_PREVIEW_BYTES = 256;
const MAX_TOPIC_CHARS = 256;
const MAX_MESSAGE_CHARS = 512;

/**
 * The most recent rejected messages in a bounded ring, plus counters per reason that never reset:
 * a flood of garbage overwrites old entries but the counts stay exact. Memory is bounded: topic,
 * message and payload preview are clipped, whatever arrived.
 */
export class DeadLetterStore {
  readonly capacity: number;
  private readonly ring: (DeadLetter | undefined)[];
  /** Index of the next slot to write. */
  private next = 0;
  private size_ = 0;
  private seq = 0;
  private readonly byReason: Record<DeadLetterReason, number> = zeroCounts();

  constructor(capacity: number = DEAD_LETTER_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw ERR_CONFIG_INVALID(`dead-letter capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  add(raw: RawMessage, err: RiskwatchError): DeadLetter {
    const reason = deadLetterReason(err.code);
    const entry: DeadLetter = {
      id: ++this.seq,
      at: raw.receivedAt,
      topic: clipText(raw.topic, MAX_TOPIC_CHARS),
      reason,
      code: err.code,
      message: clipText(err.message, MAX_MESSAGE_CHARS),
      payloadBytes: raw.payload.length,
      payloadPreview: payloadPreview(raw.payload),
    };
    if (err.details) entry.details = err.details;
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.size_ < this.capacity) this.size_++;
    this.byReason[reason]++;
    return entry;
  }

  /** Dead letters ever added (kept or overwritten). */
  get total(): number {
    return this.seq;
  }

  /** Dead letters currently kept (≤ capacity). */
  get size(): number {
    return this.size_;
  }

  /** Per reason since start, every reason present (0 when none). */
  counts(): Record<DeadLetterReason, number> {
    return { ...this.byReason };
  }

  /** Kept dead letters, newest first, optionally of one reason (name or error code). */
  list(query: DeadLetterListQuery = {}): DeadLetter[] {
    return this.page(query).items;
  }

  page(query: DeadLetterListQuery = {}): DeadLetterPage {
    const limit = Math.max(0, query.limit ?? 100);
    const offset = Math.max(0, query.offset ?? 0);
    let reason: DeadLetterReason | undefined;
    if (query.reason !== undefined) {
      reason = toDeadLetterReason(query.reason);
      if (reason === undefined) return { items: [], total: 0, counts: this.counts() };
    }
    const items: DeadLetter[] = [];
    let matched = 0;
    for (let i = 1; i <= this.size_; i++) {
      const entry = this.ring[(this.next - i + this.capacity) % this.capacity]!;
      if (reason !== undefined && entry.reason !== reason) continue;
      if (matched >= offset && items.length < limit) items.push(entry);
      matched++;
    }
    return { items, total: matched, counts: this.counts() };
  }
}

/**
 * The first PAYLOAD_PREVIEW_BYTES bytes as UTF-8. The cut moves back to a character boundary so
 * the preview never ends in half a character (U+FFFD).
 */
export function payloadPreview(payload: Buffer): string {
  if (payload.length <= PAYLOAD_PREVIEW_BYTES) return payload.toString('utf8');
  let end = PAYLOAD_PREVIEW_BYTES;
  // 0b10xxxxxx is a continuation byte: the character starting before it would be cut.
  for (let back = 0; back < 3 && end > 0 && (payload[end]! & 0xc0) === 0x80; back++) end--;
  return payload.toString('utf8', 0, end);
}

function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function zeroCounts(): Record<DeadLetterReason, number> {
  const counts = {} as Record<DeadLetterReason, number>;
  for (const reason of DEAD_LETTER_REASONS) counts[reason] = 0;
  return counts;
}
