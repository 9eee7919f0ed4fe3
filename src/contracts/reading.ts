/** A metric value as devices send it: numbers carry units in the metric name (`flow_lpm`, `gas_lel_pct`). */
export type MetricValue = number | boolean;
export type Metrics = Record<string, MetricValue>;

/** One MQTT message as it left the broker, before anything looked inside the payload. */
export interface RawMessage {
  topic: string;
  payload: Buffer;
  /** Engine-clock time at which the engine received the message (epoch ms). */
  receivedAt: number;
}

/** One device reading after decode, validation and normalisation. */
export interface Reading {
  deviceId: string;
  /** Event time (epoch ms): the device's `ts`, or `receivedAt` when the device sent none. */
  ts: number;
  /** Engine-clock ingest time (epoch ms). */
  receivedAt: number;
  metrics: Metrics;
}
