/** Options for one outbound publish. */
export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

/**
 * The MQTT side of the engine: the embedded aedes broker or an external broker through mqtt.js.
 * Lifecycle: create(config) → open() → subscribe()/publish() → close(). Cold: never listens or
 * connects in the constructor.
 */
export interface MessageBus {
  readonly kind: 'embedded' | 'external';
  open(): Promise<void>;
  /** Deliver every message whose topic matches `filter` (MQTT wildcards) to `handler`. */
  subscribe(filter: string, handler: MessageHandler): Promise<void>;
  /** Resolves once the broker has taken the message (QoS 1: PUBACK / in-process delivery). */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  close(): Promise<void>;
}
