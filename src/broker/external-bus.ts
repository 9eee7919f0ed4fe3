import { Socket } from 'node:net';
import { connect, ErrorWithSubackPacket, type IClientOptions, type MqttClient } from 'mqtt';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { MessageBus, MessageHandler, PublishOptions } from '../contracts/bus.js';
import { ERR_BUS_CLOSED, ERR_BUS_CONNECT, ERR_BUS_NOT_OPEN, ERR_PUBLISH_DENIED, ERR_SUBSCRIBE_REFUSED } from '../core/errors.js';
import { assertTopicFilter, assertTopicName, matchesTopicFilter, matchingPart } from './topic-filter.js';

export interface ReconnectBackoff {
  /** Delay before the first reconnect attempt after the connection is lost. */
  initialMs: number;
  /** The delay doubles with each failed attempt, up to this. */
  maxMs: number;
}

export interface ExternalBusOptions {
  /** `mqtt://host:1883` (also `mqtts://`, `ws://`, `wss://`, as mqtt.js accepts). */
  url: string;
  /** Default `riskwatch-engine`. Must be stable across restarts for the session to be found again. */
  clientId?: string;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
  /** Default false: a persistent session, see the class comment. */
  clean?: boolean;
  /** QoS of the engine's subscriptions; default 1 (the broker queues them for a persistent session). */
  subscribeQos?: 0 | 1;
  /**
   * MQTT 5 only: subscriptions carry No Local, so the broker does not send this client's own
   * publications back to it [MQTT-3.8.3-3]. The engine sets it: its input subscription covers the
   * whole prefix, its own alerts and orders included. MQTT 3.1.1 has no such option; they come
   * back and are recognised by topic. Default false.
   */
  noLocal?: boolean;
  /** MQTT 5 only: how long the broker keeps the session after a disconnect. Default 86 400 s. */
  sessionExpirySeconds?: number;
  /** Default 30 s. */
  keepaliveSeconds?: number;
  /** Per attempt, CONNECT to CONNACK. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** open() fails with ERR_BUS_CONNECT when no connection is up by then. Default 30 000 ms. */
  openTimeoutMs?: number;
  /** close() waits this long for outstanding PUBACKs before cutting the connection. Default 5 000 ms. */
  closeTimeoutMs?: number;
  /** Default { initialMs: 1000, maxMs: 30 000 }. */
  reconnect?: ReconnectBackoff;
  /** Messages held while no handler matches them (see `subscribe`); beyond it they are dropped. Default 10 000. */
  unroutedLimit?: number;
  /** Clock for the open/close timeouts. Default RxJS `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Called with the TCP socket of each new connection, after TCP_NODELAY is set. */
  onSocket?: (socket: Socket) => void;
  onConnectionChange?: (connected: boolean) => void;
  /** Transport and protocol errors (refused connections, resets); reconnecting continues. */
  onError?: (err: Error) => void;
  /** A handler that throws is isolated from mqtt.js; default: rethrown on a microtask. */
  onHandlerError?: (err: unknown, topic: string) => void;
}

interface Route {
  filter: string;
  /** The filter without `$share/{group}/`. */
  match: string;
  handler: MessageHandler;
}

interface HeldMessage {
  topic: string;
  payload: Buffer;
}

const DEFAULTS = {
  clientId: 'riskwatch-engine',
  protocolVersion: 4 as const,
  clean: false,
  subscribeQos: 1 as const,
  sessionExpirySeconds: 86_400,
  keepaliveSeconds: 30,
  connectTimeoutMs: 10_000,
  openTimeoutMs: 30_000,
  closeTimeoutMs: 5_000,
  reconnect: { initialMs: 1_000, maxMs: 30_000 },
  unroutedLimit: 10_000,
};

const rethrowLater = (err: unknown): void => {
  queueMicrotask(() => {
    throw err;
  });
};

/** The SUBACK failure code (0x80, or an MQTT 5 reason code >= 0x80) behind an mqtt.js subscribe error. */
function refusalCodeOf(err: Error): number | undefined {
  if (!(err instanceof ErrorWithSubackPacket)) return reasonCodeOf(err);
  for (const code of err.packet.granted) if (typeof code === 'number' && (code & 0x80) !== 0) return code;
  return undefined;
}

/**
 * The MQTT return/reason code of an mqtt.js error (CONNACK refusal, SUBACK or MQTT 5 PUBACK
 * failure); socket errors carry a string code instead (`ECONNREFUSED`).
 */
function reasonCodeOf(err: Error): number | undefined {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The engine as a client of an external broker (mosquitto, EMQX, ...) through mqtt.js 5.
 *
 * Lifecycle: new ExternalBus(options) → open() (resolves on the first CONNACK) →
 * subscribe()/publish() → close(). Cold: the constructor does not connect.
 *
 * Sessions: by default `clean: false` with a fixed client id and QoS 1 subscriptions, so the
 * broker keeps the engine's subscriptions and queues its telemetry while the engine restarts or
 * the network is down, and hands the backlog over on reconnect (MQTT 5: the session lives for
 * `sessionExpirySeconds`). Queued messages arrive right after CONNACK — possibly before the new
 * process has called subscribe() again. Such messages (and any other that no handler matches) are
 * held, in order, up to `unroutedLimit`, and delivered as soon as a matching subscribe() arrives.
 * mqtt.js acknowledges them on receipt, so a held backlog lives only in this process.
 *
 * Reconnects: mqtt.js retries after `reconnect.initialMs`, doubling per failed attempt up to
 * `reconnect.maxMs`, reset by a successful CONNACK; it also retries after a CONNACK refusal (a
 * broker restarting with ACLs not yet loaded), except during open(), which fails fast on one.
 * When the broker lost the session (CONNACK sessionPresent = 0), mqtt.js re-subscribes.
 *
 * Publishes: QoS 1 resolves on PUBACK. While disconnected mqtt.js queues them (in memory) and the
 * promise resolves after the reconnect; durability across restarts is the outbox's job.
 *
 * TCP_NODELAY is set on each connection's socket as the CONNACK arrives, before anything else is
 * sent (`onSocket` observes it); ws:// transports have no such socket option.
 *
 * Overlapping filters: a broker may send one copy per matching subscription, and each copy goes to
 * every matching handler — subscribe with disjoint filters.
 */
export class ExternalBus implements MessageBus {
  readonly kind = 'external' as const;
  private client: MqttClient | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private wasConnected = false;
  private attempts = 0;
  private droppedUnrouted = 0;
  private readonly routes: Route[] = [];
  private readonly held: HeldMessage[] = [];
  /** Rejecters of publishes awaiting their PUBACK, with their topics. */
  private readonly inFlight = new Map<(err: Error) => void, string>();
  private readonly scheduler: SchedulerLike;
  private readonly backoff: ReconnectBackoff;
  private readonly onHandlerError: (err: unknown, topic: string) => void;
  private failOpen: ((err: Error) => void) | undefined;

  constructor(private readonly options: ExternalBusOptions) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.backoff = options.reconnect ?? DEFAULTS.reconnect;
    this.onHandlerError = options.onHandlerError ?? rethrowLater;
  }

  /** Connected to the broker right now (for health). */
  get connected(): boolean {
    return !this.closed && this.client !== undefined && this.client.connected;
  }

  /** Failed reconnect attempts since the connection was last up. */
  get reconnectAttempts(): number {
    return this.attempts;
  }

  /** The delay mqtt.js waits before its next reconnect attempt. */
  get reconnectDelayMs(): number {
    return Math.min(this.backoff.initialMs * 2 ** this.attempts, this.backoff.maxMs);
  }

  /** Messages held for a handler that has not subscribed yet. */
  get unroutedHeld(): number {
    return this.held.length;
  }

  /** Messages dropped because no handler matched and the hold was full. */
  get unroutedDropped(): number {
    return this.droppedUnrouted;
  }

  open(): Promise<void> {
    if (this.closed) return Promise.reject(ERR_BUS_NOT_OPEN(this.kind));
    this.opening ??= this.connectFirst().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  /**
   * Resolves on SUBACK. The handler is registered first, so messages of a resumed session that
   * arrive before the SUBACK (or before this call) are delivered to it, in order.
   */
  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    const client = this.openClient();
    assertTopicFilter(filter);
    const route: Route = { filter, match: matchingPart(filter), handler };
    this.routes.push(route);
    this.deliverHeld(route);
    const qos = this.options.subscribeQos ?? DEFAULTS.subscribeQos;
    const noLocal = this.options.noLocal === true && (this.options.protocolVersion ?? DEFAULTS.protocolVersion) === 5;
    try {
      await new Promise<void>((resolve, reject) => {
        client.subscribe(filter, noLocal ? { qos, nl: true } : { qos }, (err) => {
          if (!err) return resolve();
          const code = refusalCodeOf(err);
          reject(code === undefined ? err : ERR_SUBSCRIBE_REFUSED(filter, code));
        });
      });
    } catch (err) {
      this.routes.splice(this.routes.indexOf(route), 1);
      throw err;
    }
  }

  /** QoS 1 resolves on PUBACK, QoS 0 once written; an MQTT 5 PUBACK failure rejects ERR_PUBLISH_DENIED. */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.openClient();
    assertTopicName(topic);
    return new Promise<void>((resolve, reject) => {
      this.inFlight.set(reject, topic);
      client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) => {
        this.inFlight.delete(reject);
        if (!err) return resolve();
        const code = reasonCodeOf(err);
        reject(code === undefined ? err : ERR_PUBLISH_DENIED(client.options.clientId, topic, code));
      });
    });
  }

  /**
   * Sends DISCONNECT once outstanding PUBACKs are in (at most `closeTimeoutMs`), else cuts the
   * connection; publishes still unacknowledged then reject with ERR_BUS_CLOSED. Idempotent.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.disconnect();
    return this.closing;
  }

  private connectFirst(): Promise<void> {
    const o = this.options;
    const protocolVersion = o.protocolVersion ?? DEFAULTS.protocolVersion;
    const clean = o.clean ?? DEFAULTS.clean;
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? DEFAULTS.clientId,
      protocolVersion,
      clean,
      keepalive: o.keepaliveSeconds ?? DEFAULTS.keepaliveSeconds,
      connectTimeout: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      reconnectPeriod: this.backoff.initialMs,
      reconnectOnConnackError: true,
      resubscribe: true,
      username: o.username,
      password: o.password,
    };
    // MQTT 5 ends a session at disconnect unless it has an expiry interval [MQTT-3.1.2-23].
    if (protocolVersion === 5 && !clean) {
      clientOptions.properties = { sessionExpiryInterval: o.sessionExpirySeconds ?? DEFAULTS.sessionExpirySeconds };
    }

    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      let timeout: Subscription | undefined;
      let client: MqttClient;
      try {
        client = connect(o.url, clientOptions);
      } catch (err) {
        // mqtt.js throws at once on a URL it cannot use (no protocol).
        reject(ERR_BUS_CONNECT(o.url, (err as Error).message));
        return;
      }
      this.client = client;

      const fail = (err: Error): void => {
        if (!this.failOpen) return;
        this.failOpen = undefined;
        timeout?.unsubscribe();
        this.client = undefined;
        client.end(true);
        reject(err);
      };
      this.failOpen = fail;

      client.prependListener('connect', () => {
        const stream = client.stream;
        if (stream instanceof Socket) {
          stream.setNoDelay(true);
          o.onSocket?.(stream);
        }
      });
      client.on('connect', () => {
        this.attempts = 0;
        client.options.reconnectPeriod = this.backoff.initialMs;
        this.wasConnected = true;
        o.onConnectionChange?.(true);
        if (this.failOpen) {
          this.failOpen = undefined;
          timeout?.unsubscribe();
          resolve();
        }
      });
      client.on('close', () => {
        if (!this.wasConnected) return;
        this.wasConnected = false;
        o.onConnectionChange?.(false);
      });
      // 'reconnect' fires as an attempt starts; the period set here is the wait after it fails.
      client.on('reconnect', () => {
        this.attempts++;
        client.options.reconnectPeriod = this.reconnectDelayMs;
      });
      client.on('error', (err) => {
        lastError = err;
        if (this.failOpen && reasonCodeOf(err) !== undefined) {
          fail(ERR_BUS_CONNECT(o.url, err.message));
          return;
        }
        o.onError?.(err);
      });
      client.on('message', this.route);

      const openTimeoutMs = o.openTimeoutMs ?? DEFAULTS.openTimeoutMs;
      timeout = this.scheduler.schedule(() => {
        fail(ERR_BUS_CONNECT(o.url, `no connection within ${openTimeoutMs} ms (${lastError?.message ?? 'no answer'})`));
      }, openTimeoutMs);
    });
  }

  private readonly route = (topic: string, payload: Buffer): void => {
    const routes = this.routes;
    let delivered = false;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i];
      if (!matchesTopicFilter(route.match, topic)) continue;
      delivered = true;
      try {
        route.handler(topic, payload);
      } catch (err) {
        this.onHandlerError(err, topic);
      }
    }
    if (delivered) return;
    if (this.held.length < (this.options.unroutedLimit ?? DEFAULTS.unroutedLimit)) this.held.push({ topic, payload });
    else this.droppedUnrouted++;
  };

  private deliverHeld(route: Route): void {
    if (this.held.length === 0) return;
    const keep: HeldMessage[] = [];
    const deliver: HeldMessage[] = [];
    for (const message of this.held) (matchesTopicFilter(route.match, message.topic) ? deliver : keep).push(message);
    this.held.length = 0;
    this.held.push(...keep);
    for (const { topic, payload } of deliver) {
      try {
        route.handler(topic, payload);
      } catch (err) {
        this.onHandlerError(err, topic);
      }
    }
  }

  private async disconnect(): Promise<void> {
    this.failOpen?.(ERR_BUS_NOT_OPEN(this.kind));
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    await new Promise<void>((resolve) => {
      let guard: Subscription | undefined;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        guard?.unsubscribe();
        resolve();
      };
      // end(false) waits for outstanding acks and never gives up if they do not come; the guard
      // cuts the socket (mqtt.js does not reconnect once disconnecting).
      guard = this.scheduler.schedule(() => {
        client.stream.destroy();
        finish();
      }, this.options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs);
      client.end(!client.connected, () => finish());
    });
    client.removeAllListeners('message');
    for (const [reject, topic] of this.inFlight) reject(ERR_BUS_CLOSED(this.kind, topic));
    this.inFlight.clear();
  }

  private openClient(): MqttClient {
    if (this.closed || !this.client || this.failOpen) throw ERR_BUS_NOT_OPEN(this.kind);
    return this.client;
  }
}
