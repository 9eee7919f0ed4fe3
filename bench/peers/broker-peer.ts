/**
 * A bare broker the benchmark measures a publish → subscribe hop on: the floor every MQTT-driven
 * system (riskwatch, Node-RED) is compared with.
 *
 * Lifecycle: start…Broker() resolves once the broker accepts MQTT clients → stop().
 */
export interface BrokerPeer {
  /** `mqtt://127.0.0.1:{port}` */
  readonly url: string;
  /** The broker's own release, recorded beside every figure measured on it. */
  readonly version: string;
  /** Closes the broker and everything it holds; idempotent. */
  stop(): Promise<void>;
}
