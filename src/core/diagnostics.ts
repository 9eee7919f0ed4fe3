import type { Logger } from 'pino';
import type { AlertEvent } from '../contracts/alert.js';
import type { DispatchOrder } from '../contracts/order.js';

/**
 * Typed diagnostics (Kapacitor `NodeDiagnostic`, pino `child(bindings)`): every log line the engine
 * writes on purpose goes through one of these methods, so its fields are stable and no call site
 * can slip a resident's name or phone number into a log. Alerts and orders are logged by id,
 * scenario, level, tier and place id — never with subject contact data.
 */
export interface Diagnostics {
  engineStarted(info: {
    broker: string; mqttPort?: number; scenarios: number; devices: number; pendingOutbox: number; restoredKeys: number;
    dispatchPolicy: string; watchedOrders: number;
    /** The kind of each sink (`mqtt`, `webhook`, `sse`): endpoints are not logged, their query may hold a token. */
    sinks: string[];
  }): void;
  dispatchPolicyLoaded(source: string, rules: number): void;
  webhookAttemptFailed(url: string, err: Error): void;
  webhookDead(url: string, outboxId: number, err: Error): void;
  engineStopped(snapshotKeys: number): void;
  scenarioLoaded(id: string, model: string, source: string | undefined): void;
  alertChanged(event: AlertEvent): void;
  alertSuppressed(scenarioId: string, key: string, reason: 'cooldown'): void;
  orderChanged(order: DispatchOrder, change: string): void;
  readingRejected(code: string, topic: string, message: string): void;
  /** A message outside the topic prefix reached the input subscription (counted as `ignored`). */
  messageIgnored(topic: string): void;
  publishFailed(topic: string, err: Error): void;
  busConnection(url: string, connected: boolean): void;
  publishDenied(clientId: string | null, topic: string, reason: string): void;
  statusUpdateRejected(orderId: string, code: string): void;
  busError(err: Error): void;
  stageFailed(stage: string, err: Error): void;
  expressionFailed(scenarioId: string, err: Error): void;
}

export function createDiagnostics(logger: Logger): Diagnostics {
  const engine = logger.child({ component: 'engine' });
  const alerts = logger.child({ component: 'alerts' });
  const dispatch = logger.child({ component: 'dispatch' });
  const ingest = logger.child({ component: 'ingest' });
  const sinks = logger.child({ component: 'sinks' });
  const scenarios = logger.child({ component: 'scenarios' });
  return {
    engineStarted: (info) => engine.info(info, 'engine started'),
    engineStopped: (snapshotKeys) => engine.info({ snapshotKeys }, 'engine stopped'),
    scenarioLoaded: (id, model, source) => scenarios.debug({ scenario: id, model, source }, 'scenario loaded'),
    alertChanged: (e) =>
      alerts.info(
        { alertId: e.alert.id, scenario: e.alert.scenarioId, key: e.alert.key, type: e.type, from: e.from, to: e.to, placeId: e.alert.placeId },
        `alert ${e.type}`,
      ),
    alertSuppressed: (scenarioId, key, reason) => alerts.debug({ scenario: scenarioId, key, reason }, 'alert suppressed'),
    orderChanged: (o, change) =>
      dispatch.info(
        { orderId: o.id, alertId: o.alertId, scenario: o.scenarioId, level: o.level, tier: o.tier, status: o.status, version: o.version },
        `order ${change}`,
      ),
    // Debug, not warn: a flood of garbage must not turn into a flood of log lines (it is counted instead).
    readingRejected: (code, topic, message) => ingest.debug({ code, topic }, message),
    // Debug for the same reason: other applications on the embedded broker may be chatty.
    messageIgnored: (topic) => ingest.debug({ topic }, 'message outside the topic prefix ignored'),
    dispatchPolicyLoaded: (source, rules) => dispatch.info({ source, rules }, 'dispatch policy loaded'),
    // Endpoints are logged without their query string: it may carry an access token.
    webhookAttemptFailed: (url, err) => sinks.warn({ endpoint: endpointOf(url), err: err.message }, 'webhook delivery failed, will retry'),
    webhookDead: (url, outboxId, err) => sinks.error({ endpoint: endpointOf(url), outboxId, err: err.message }, 'webhook delivery gave up: dead-lettered'),
    publishFailed: (topic, err) => sinks.warn({ topic, err: err.message }, 'publish failed, will retry'),
    busConnection: (url, connected) => (connected ? engine.info({ broker: url }, 'broker connected') : engine.warn({ broker: url }, 'broker connection lost, reconnecting')),
    publishDenied: (clientId, topic, reason) => engine.warn({ clientId, topic, reason }, 'client publish refused'),
    statusUpdateRejected: (orderId, code) => dispatch.warn({ orderId, code }, 'order status update rejected'),
    busError: (err) => engine.warn({ err: err.message, code: (err as { code?: string }).code }, 'broker error'),
    stageFailed: (stage, err) => engine.error({ stage, err: err.message, stack: err.stack }, 'pipeline stage failed'),
    expressionFailed: (scenarioId, err) => scenarios.debug({ scenario: scenarioId, err: err.message }, 'expression evaluation failed'),
  };
}

/** `https://host/path` of a URL, without credentials or query. */
function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
