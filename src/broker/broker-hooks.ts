import type { AedesOptions, Client, PublishPacket } from 'aedes';
import { ERR_PUBLISH_DENIED } from '../core/errors.js';
import { DEFAULT_TOPIC_PREFIX, isLevelAt, isUnderPrefix, orderStatusIdEnd, orderStatusIdStart } from '../core/topics.js';

export type AuthenticateHook = NonNullable<AedesOptions['authenticate']>;
export type AuthorizePublishHook = NonNullable<AedesOptions['authorizePublish']>;

/** Why a client publish was refused. */
export type PublishDenyReason = 'system-topic' | 'engine-topic';

/**
 * Decides whether `client` may publish to `topic`: `null` allows, a reason refuses. Runs for every
 * client publish (all telemetry), so it must not allocate. `client` is `null` for a stale will
 * the broker publishes on behalf of a client that is gone.
 */
export type PublishPolicy = (client: Client | null, topic: string, prefix: string) => PublishDenyReason | null;

export interface PublishDenial {
  clientId: string | null;
  topic: string;
  reason: PublishDenyReason;
}

export interface BrokerHookOptions {
  /** Topic prefix of the public contract (`rw`). */
  prefix: string;
  /** aedes `authenticate` signature, so a real check slots in unchanged. */
  authenticate: AuthenticateHook;
  authorizePublish: PublishPolicy;
  /** Told about every refused publish. Must not throw; must not be slow (runs inside aedes). */
  onDenied: (denial: PublishDenial) => void;
}

/** Everyone may connect, with or without credentials (MQTT 3.1.1 anonymous); security comes later. */
export const allowAnonymous: AuthenticateHook = (_client, _username, _password, done) => done(null, true);

/**
 * Clients publish telemetry and order status updates; the engine alone publishes alerts, orders
 * and dead letters, so a device or rogue client cannot spoof an alert or an order. Refused:
 * `$SYS/...` (aedes' own default, moscajs/aedes#597), `{prefix}/alerts[/#]`, `{prefix}/deadletter[/#]`
 * and everything under `{prefix}/orders/` except exactly `{prefix}/orders/{orderId}/status`
 * (the `orders` tree belongs to the engine; `topics.ts` never gives an order the id `status`).
 * Anything else — telemetry, other applications' topics — is allowed.
 */
export const engineTopicsReserved: PublishPolicy = (_client, topic, prefix) => {
  if (topic.startsWith('$SYS/')) return 'system-topic';
  if (!isUnderPrefix(topic, prefix)) return null;
  const at = prefix.length + 1;
  if (isLevelAt(topic, at, 'alerts') || isLevelAt(topic, at, 'deadletter')) return 'engine-topic';
  if (isLevelAt(topic, at, 'orders')) {
    const start = orderStatusIdStart(topic, prefix);
    return start >= 0 && orderStatusIdEnd(topic, start) >= 0 ? null : 'engine-topic';
  }
  return null;
};

const ignoreDenial = (): void => {};

/** The named defaults (aedes `defaultOptions` pattern); override any of them by name. */
export const defaultBrokerHookOptions: Readonly<BrokerHookOptions> = Object.freeze({
  prefix: DEFAULT_TOPIC_PREFIX,
  authenticate: allowAnonymous,
  authorizePublish: engineTopicsReserved,
  onDenied: ignoreDenial,
});

/** The hooks as aedes takes them, plus what they counted. */
export interface BrokerHooks {
  readonly options: Readonly<BrokerHookOptions>;
  authenticate: AuthenticateHook;
  authorizePublish: AuthorizePublishHook;
  readonly stats: { readonly denied: number };
}

/**
 * Builds aedes' `authenticate` / `authorizePublish` from the options. A refused publish is
 * counted, reported through `onDenied`, and answered with ERR_PUBLISH_DENIED — on which aedes 1.2
 * emits `clientError` and closes the client's connection: MQTT 3.1.1 has no negative PUBACK, and
 * a server that does not authorise a PUBLISH must either acknowledge it normally or close the
 * connection [MQTT-3.3.5-2]; aedes closes, for QoS 0 and 1 alike. The message reaches nobody.
 * A refused will message is dropped silently by aedes (still counted here). NB: a clean: false
 * client that keeps retrying a refused QoS 1 message will be disconnected on every reconnect.
 */
export function createBrokerHooks(overrides: Partial<BrokerHookOptions> = {}): BrokerHooks {
  const options: Readonly<BrokerHookOptions> = Object.freeze({ ...defaultBrokerHookOptions, ...overrides });
  const { prefix, authorizePublish: policy, onDenied } = options;
  const stats = { denied: 0 };

  const authorizePublish: AuthorizePublishHook = (client: Client | null, packet: PublishPacket, callback) => {
    const reason = policy(client, packet.topic, prefix);
    if (reason === null) {
      callback(null);
      return;
    }
    stats.denied++;
    const clientId = client ? client.id : null;
    try {
      onDenied({ clientId, topic: packet.topic, reason });
    } catch {
      // A failing observer must not decide the broker's answer: the publish is refused regardless.
    }
    callback(ERR_PUBLISH_DENIED(clientId ?? '(will)', packet.topic, reason));
  };

  return { options, authenticate: options.authenticate, authorizePublish, stats };
}
