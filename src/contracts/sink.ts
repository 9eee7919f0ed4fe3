import type { AlertEvent } from './alert.js';
import type { OrderUpdate } from './order.js';
import type { EnrichedReading } from './registry.js';

/** What a sink can take: alert changes, order changes, accepted readings. */
export type SinkInput = 'alerts' | 'orders' | 'telemetry';

interface AnnouncementBase {
  /** CloudEvent id, unique per announced state (`{alertId}:{n}`, `{orderId}:{version}`): receivers deduplicate on it. */
  id: string;
  /** CloudEvent type: `riskwatch.alert.opened`, `riskwatch.order.created`, ... */
  type: string;
  /** Announcements with the same key reach each receiver in commit order: the alert id, the order id. */
  orderingKey: string;
  /** The CloudEvent in structured-mode JSON: the bytes every sink delivers, serialised once. */
  json: string;
  /**
   * A risk appeared or worsened (core/urgency.ts): sinks may deliver it ahead of routine
   * announcements of other keys, never ahead of an earlier announcement of its own key.
   */
  urgent: boolean;
}

/** An alert changed (opened, escalated, de-escalated, cleared). */
export interface AlertAnnouncement extends AnnouncementBase {
  kind: 'alert';
  /** The event as it was when staged (later changes to the alert do not show here). */
  event: AlertEvent;
}

/** An order has a new version. */
export interface OrderAnnouncement extends AnnouncementBase {
  kind: 'order';
  update: OrderUpdate;
}

/** One change as every sink announces it. */
export type Announcement = AlertAnnouncement | OrderAnnouncement;

/**
 * A destination for what the engine announces: MQTT topics, webhooks, the SSE order log, a
 * time-series database. Sinks are built from configuration in one place (`sinks/sink-kinds.ts`);
 * `tests/contract/describe-sink.ts` holds the contract every sink passes.
 *
 * Lifecycle (eKuiper's sink contract; Kafka Connect's `SinkTask`):
 *
 *   create(context) → start() → ( [begin()] write()* (committed() | rolledBack()) | kick() | reading() )* → stop() → whenIdle()
 *
 * - Cold: the constructor opens nothing and sends nothing.
 * - `start()`: the engine's sources are about to open. Resume whatever a previous run made durable
 *   but did not deliver: delivery is at-least-once across a crash or a restart.
 * - Alerts and orders are transactional. The group commit calls `write()` for every announcement
 *   the sink accepts *inside* its SQLite transaction, where the sink makes it durable (an outbox
 *   row, an order-log row); `begin()` first, for writes that ride along. Nothing may leave the
 *   process in `write()`: durable before announced. After the commit `committed()` — now deliver;
 *   after a rollback `rolledBack()` — forget what `write()` noted.
 * - Per ordering key, deliveries leave in commit order; different keys may overtake each other,
 *   and urgent announcements should (a new leak is not held up behind a thousand clears).
 * - Never blocks detection: every call returns at once. A receiver that is slow or down delays
 *   only this sink's own deliveries (they wait durably and are retried), never the pipeline or
 *   another sink.
 * - `reading()` (telemetry sinks): best effort, buffered and bounded; what cannot be kept is
 *   dropped and counted, never waited for.
 * - `kick()`: something may be due now (a dead delivery was revived, an operator asked).
 * - `stop()`: no new deliveries; what is in flight stays durable and goes again at the next start.
 *   `whenIdle()` resolves once nothing is in flight and the sink's own bookkeeping is written.
 */
export interface Sink {
  /** Unique among the engine's sinks (`mqtt`, `webhook:https://…`, `sse`); the outbox sink name where it uses the outbox. */
  readonly name: string;
  /** What it takes: the group commit hands it only those. */
  readonly accepts: ReadonlySet<SinkInput>;
  start(): void;
  begin?(): void;
  /** Inside the commit's transaction; `at` is the transaction's engine-clock time. */
  write(announcement: Announcement, at: number): void;
  committed(): void;
  rolledBack(): void;
  reading?(reading: EnrichedReading): void;
  kick(): void;
  stop(): void;
  whenIdle(): Promise<void>;
}
