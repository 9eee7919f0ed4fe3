/** One published order version from the order event log (the SSE stream's history). */
export interface OrderEventRecord {
  /** Log position: the SSE event id a client resumes from (Last-Event-ID). */
  id: number;
  orderId: string;
  version: number;
  /** CloudEvent type, e.g. `riskwatch.order.created`. */
  type: string;
  at: number;
  /** The CloudEvent, JSON (structured mode). */
  payload: string;
}

/** An order event to log; the log assigns its id. */
export type NewOrderEvent = Omit<OrderEventRecord, 'id'>;

/** The order event log (`order_events`) as the SSE sink uses it. */
export interface OrderEventLog {
  /** Inside the caller's transaction; returns the event's log id. */
  append(event: NewOrderEvent): number;
  /** Events after `afterId` (exclusive), oldest first, at most `limit`. */
  after(afterId: number, limit: number): OrderEventRecord[];
  pruneOlderThan(at: number): number;
}
