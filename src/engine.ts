import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { asyncScheduler, Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import { pino, type Logger } from 'pino';
import type { Alert, AlertEvent } from './contracts/alert.js';
import type { MessageBus } from './contracts/bus.js';
import type { Scheduler } from './contracts/clock.js';
import type { Detection } from './contracts/detection.js';
import type { DispatchDecision } from './contracts/dispatch.js';
import type { DispatchOrder, OrderStatus } from './contracts/order.js';
import type { RawMessage } from './contracts/reading.js';
import type { Scenario } from './contracts/scenario.js';
import { AlertManager } from './alerts/alert-manager.js';
import type {
  AlertQuery, DeadDelivery, DeadLetterPage, DeadLetterQuery, DispatchPolicyInfo, EngineApi, HealthReport, OrderEventRecord,
  OrderQuery, OrderStatusUpdate, Page,
} from './contracts/engine-api.js';
import type { StatsQuery, StatsReport } from './contracts/stats.js';
import type { OrderTimeline, TimelineLang } from './contracts/timeline.js';
import { EmbeddedBus } from './broker/embedded-bus.js';
import { ExternalBus } from './broker/external-bus.js';
import { deadLetterTopic, orderStatusFilter, parseOrderStatusTopic, telemetryFilter } from './core/topics.js';
import type { RiskwatchConfig } from './core/config.js';
import { durationMs, webhookUrls } from './core/config.js';
import { createDiagnostics, type Diagnostics } from './core/diagnostics.js';
import { ERR_NOT_FOUND, ERR_PIPELINE_STAGE, ERR_VALIDATION, isRiskwatchError, type RiskwatchError } from './core/errors.js';
import { dispatchFacts } from './policy/dispatch-facts.js';
import { DispatchQueue } from './dispatch/dispatch-queue.js';
import { dueAt } from './dispatch/order-deadlines.js';
import { OrderManager, type OrderChange, type OrderUpdate } from './dispatch/order-manager.js';
import { buildOrderStats } from './reports/order-stats.js';
import { buildOrderTimeline } from './reports/order-timeline.js';
import { OutboxRelay, type RelayEntry } from './sinks/mqtt-relay.js';
import { OverdueWatcher } from './dispatch/overdue-watcher.js';
import { BUILT_IN_POLICY, type DispatchPolicyDefinition } from './policy/policy-definition.js';
import { DispatchPolicyEngine } from './policy/policy-engine.js';
import { loadDispatchPolicyFile } from './policy/policy-file.js';
import { WebhookRelay } from './sinks/webhook-relay.js';
import { snapshotEvent } from './engine/group-commit.js';
import { detectRisks } from './engine/detect-risks.js';
import { GroupCommit, type PendingChange } from './engine/group-commit.js';
import { DeadLetterStore, type DeadLetter } from './ingest/dead-letters.js';
import { ingestTelemetry } from './ingest/ingest-operator.js';
import { createTelemetryDecoder } from './ingest/telemetry-decoder.js';
import { PERSONAL_FIELD_PATHS } from './registry/personal-data.js';
import { loadRegistryFile } from './registry/registry-file.js';
import { DEFAULT_TIME_ZONE } from './core/local-time.js';
import type { Registry } from './registry/registry.js';
import { compileScenario, type CompiledScenario } from './scenarios/compile.js';
import { assertScenarios, loadScenarioDir } from './scenarios/loader.js';
import { openStore, type Store } from './store/store.js';

/** Typed engine events (MQTT.js `TypedEventEmitter` style): `engine.on('order', (o, change) => …)`. */
export interface EngineEvents {
  alert: [event: AlertEvent];
  order: [order: DispatchOrder, change: OrderChange];
  deadletter: [entry: DeadLetter];
}

export interface EngineDeps {
  /** The engine clock. Default: RxJS asyncScheduler (wall clock). Tests and replay inject their own. */
  scheduler?: Scheduler;
  logger?: Logger;
  /** Default: embedded aedes, or an external broker when `mqtt.broker` is set. */
  bus?: MessageBus;
  /** The dispatch policy; default: the configured file (`{rules}/dispatch/policy.yaml`), else built-in. */
  dispatchPolicy?: DispatchPolicyDefinition;
  /** Registry and scenarios may be given directly instead of from the configured files. */
  registry?: Registry;
  scenarios?: Scenario[];
}

/** Monotonic counters, reported by /health and the benchmark. */
export interface EngineCounters {
  messages: number;
  rejected: number;
  detections: number;
  alertEvents: number;
  alertsSuppressed: number;
  ordersCreated: number;
  orderUpdates: number;
  statusUpdatesRejected: number;
  stageErrors: number;
  expressionErrors: number;
  publishFailures: number;
  publishesDenied: number;
  overdue: number;
  deadlineWarnings: number;
  webhookDelivered: number;
  webhookFailedAttempts: number;
  webhookDead: number;
}

/**
 * The whole flow in one process, one direction:
 * broker → ingest (decode, validate, enrich) → scenario models → alert lifecycle → dispatch orders
 * → SQLite (alert + order + outbox rows in one transaction) → outbox relay → MQTT.
 *
 * Lifecycle: createEngine(config, deps) → start() → stop(). Start order is sinks first, then the
 * pipeline, then sources, so nothing is received before it can be stored and announced; stop is
 * the reverse.
 */
export class Engine extends EventEmitter<EngineEvents> implements EngineApi {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly counters: EngineCounters = {
    messages: 0, rejected: 0, detections: 0, alertEvents: 0, alertsSuppressed: 0, ordersCreated: 0,
    orderUpdates: 0, statusUpdatesRejected: 0, stageErrors: 0, expressionErrors: 0, publishFailures: 0, publishesDenied: 0,
    overdue: 0, deadlineWarnings: 0, webhookDelivered: 0, webhookFailedAttempts: 0, webhookDead: 0,
  };

  private readonly diag: Diagnostics;
  /**
   * The pipeline's entrance. It has one subscriber, the pipeline, which `ingest` calls directly:
   * a Subject would allocate a closure and an iterator per message to reach it (replay profile).
   */
  private rawIn: Subscriber<RawMessage> | undefined;
  private readonly raw$ = new Observable<RawMessage>((subscriber) => {
    this.rawIn = subscriber;
    return () => {
      if (this.rawIn === subscriber) this.rawIn = undefined;
    };
  });
  private readonly modelOutput = new Subject<Detection>();
  private readonly prefix: string;
  private pipeline: Subscription | undefined;
  private startedAt = 0;
  private running = false;

  private store!: Store;
  private registryRef!: Registry;
  private scenarioList: Scenario[] = [];
  private compiled: CompiledScenario[] = [];
  private bus!: MessageBus;
  private alerts!: AlertManager;
  private orders!: OrderManager;
  private relay!: OutboxRelay;
  private commits!: GroupCommit;
  private policy!: DispatchPolicyEngine;
  private readonly dispatchQueue = new DispatchQueue();
  private watcher!: OverdueWatcher;
  private webhooks: WebhookRelay[] = [];
  private readonly orderEventListeners = new Set<(event: OrderEventRecord) => void>();
  private lastEventPruneAt = -Infinity;
  private readonly deadLetters: DeadLetterStore;

  constructor(readonly config: RiskwatchConfig, private readonly deps: EngineDeps = {}) {
    super();
    this.scheduler = deps.scheduler ?? asyncScheduler;
    this.logger = deps.logger ?? pino({ level: config.log.level, redact: [...PERSONAL_FIELD_PATHS] });
    this.diag = createDiagnostics(this.logger);
    this.prefix = config.mqtt.topicPrefix;
    this.deadLetters = new DeadLetterStore(config.deadLetters.capacity);
  }

  get registry(): Registry {
    return this.registryRef;
  }

  get messageBus(): MessageBus {
    return this.bus;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config, deps } = this;
    // 1. What the engine knows: registry and scenarios (refuse to start on an invalid scenario).
    this.registryRef = deps.registry ?? loadRegistryFile(config.registry);
    this.scenarioList = deps.scenarios ?? assertScenarios(loadScenarioDir(config.rules));
    const byId = new Map(this.scenarioList.map((s) => [s.id, s]));
    // A bad policy file refuses the start, like a bad scenario: better than routing wrongly.
    this.policy = new DispatchPolicyEngine(deps.dispatchPolicy ?? this.loadPolicyFile(), this.scheduler.now());

    // 2. Sinks first: the store, the outbox relay and the bus it publishes to.
    this.store = openStore(config.data);
    this.bus = deps.bus ?? this.createBus();
    this.relay = new OutboxRelay({
      outbox: this.store.outbox,
      scheduler: this.scheduler,
      publish: (topic, payload, qos, retain) => this.bus.publish(topic, payload, { qos, retain }),
      retainDeliveredMs: durationMs(config.outbox.retainDelivered),
      onPublishFailed: (topic, err) => {
        this.counters.publishFailures++;
        this.diag.publishFailed(topic, err);
      },
    });
    this.alerts = new AlertManager({
      scheduler: this.scheduler,
      scenario: (id) => byId.get(id),
      onSuppressed: (scenarioId, key) => {
        this.counters.alertsSuppressed++;
        this.diag.alertSuppressed(scenarioId, key, 'cooldown');
      },
      onTimedEvent: (event) => this.commitAlertEvent(event),
    });
    const hookUrls = webhookUrls(config);
    this.webhooks = hookUrls.map((url) => new WebhookRelay({
      outbox: this.store.outbox,
      url,
      sink: webhookSink(url),
      secret: config.webhook.secret,
      timeoutMs: durationMs(config.webhook.timeout),
      maxAttempts: config.webhook.maxAttempts,
      concurrency: config.webhook.concurrency,
      retryBaseMs: durationMs(config.webhook.retryBase),
      retryMaxMs: durationMs(config.webhook.retryMax),
      scheduler: this.scheduler,
      onDelivered: () => {
        this.counters.webhookDelivered++;
      },
      onAttemptFailed: (_entry, err) => {
        this.counters.webhookFailedAttempts++;
        this.diag.webhookAttemptFailed(url, err);
      },
      onDead: (entry, err) => {
        this.counters.webhookDead++;
        this.diag.webhookDead(url, entry.id, err);
      },
    }));
    this.commits = new GroupCommit({
      store: this.store,
      prefix: this.prefix,
      orderSinks: hookUrls.map(webhookSink),
      now: () => this.scheduler.now(),
      onCommitted: (changes, mqtt) => this.announce(changes, mqtt),
      inTransaction: () => this.relay.writeMarks(),
      onError: (err) => this.stageFailed('store', err),
    });
    this.alerts.restore(this.store.alerts.findOpen());
    this.orders = new OrderManager({
      context: (deviceId) => this.registryRef.context(deviceId),
      findByAlert: (alertId) => this.commits.pendingOrderFor(alertId) ?? this.store.orders.findByAlert(alertId),
      scenarioDispatches: (id) => byId.get(id)?.dispatch ?? false,
      department: (id) => this.registryRef.department(id),
    });
    // Deadlines keep running across a restart: re-arm every unfinished order (past ones fire at once).
    this.watcher = new OverdueWatcher(this.scheduler, (orderId, now) => this.onDeadline(orderId, now));
    for (const order of this.store.orders.listUnfinished()) this.watcher.watch(order);

    // 3. The pipeline.
    const onExpressionError = (scenarioId: string) => (err: Error) => {
      this.counters.expressionErrors++;
      this.diag.expressionFailed(scenarioId, err);
    };
    this.compiled = this.scenarioList.map((s) => {
      this.diag.scenarioLoaded(s.id, s.model, s.source);
      return compileScenario(s, { scheduler: this.scheduler, emit: (d) => this.modelOutput.next(d) }, onExpressionError(s.id));
    });
    const decoder = createTelemetryDecoder(
      {
        topicPrefix: this.prefix,
        maxPayloadBytes: config.ingest.maxPayloadBytes,
        maxBatchReadings: config.ingest.maxBatchReadings,
        maxFutureSkewMs: durationMs(config.ingest.maxFutureSkew),
        maxReadingAgeMs: durationMs(config.ingest.maxReadingAge),
      },
      this.registryRef,
    );
    this.pipeline = this.raw$
      .pipe(
        ingestTelemetry(decoder, (raw, err) => this.reject(raw, err)),
        detectRisks(this.compiled, this.modelOutput, (err) => this.stageFailed('detect', err)),
      )
      .subscribe((detection) => this.onDetection(detection));
    // Model state from a graceful stop: durations keep counting across an upgrade instead of
    // starting again at the first new reading. One-shot: a later crash never restores it again.
    let restoredKeys = 0;
    for (const c of this.compiled) {
      restoredKeys += c.model.restore(this.store.modelStates.load(c.scenario.id, fingerprint(c.scenario)), (id) => this.registryRef.context(id));
    }
    this.store.modelStates.clear();

    // 4. Sources last.
    try {
      await this.bus.open();
      this.relay.kick(); // republish whatever a previous run committed but the broker never took
      for (const hook of this.webhooks) hook.kick();
      await this.bus.subscribe(telemetryFilter(this.prefix), (topic, payload) => this.ingest(topic, payload));
      await this.bus.subscribe(orderStatusFilter(this.prefix), (topic, payload) => this.onStatusMessage(topic, payload));
    } catch (err) {
      // A port in use or an unreachable broker: leave nothing half-open behind.
      this.relay.stop();
      for (const hook of this.webhooks) hook.stop();
      this.watcher.dispose();
      this.pipeline.unsubscribe();
      for (const c of this.compiled) c.model.dispose();
      this.alerts.dispose();
      await this.bus.close().catch(() => undefined);
      this.store.close();
      throw err;
    }
    this.startedAt = this.scheduler.now();
    this.running = true;
    this.diag.engineStarted({
      broker: this.bus.kind === 'external' ? config.mqtt.broker : 'embedded',
      ...(this.bus instanceof EmbeddedBus ? { mqttPort: this.bus.port } : {}),
      scenarios: this.scenarioList.length,
      devices: this.registryRef.counts().devices,
      pendingOutbox: this.store.outbox.countPending(),
      restoredKeys,
      dispatchPolicy: this.policy.info().source,
      watchedOrders: this.watcher.size,
      webhooks: this.webhooks.length,
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.dispatchQueue.whenIdle();
    this.commits.flush();
    this.watcher.dispose();
    for (const hook of this.webhooks) hook.stop();
    // No new delivery passes; what is committed but not taken by the broker stays in the outbox
    // and goes out on the next start. (Waiting for it here could wait forever on a dead broker.)
    this.relay.stop();
    await this.bus.close(); // no more input; an external bus waits briefly for outstanding PUBACKs
    await this.relay.whenIdle();
    await Promise.all(this.webhooks.map((hook) => hook.whenIdle()));
    await this.dispatchQueue.whenIdle();
    this.commits.flush();
    const at = this.scheduler.now();
    let snapshotKeys = 0;
    this.store.transaction(() => {
      for (const c of this.compiled) {
        const entries = c.model.snapshot();
        snapshotKeys += entries.length;
        this.store.modelStates.save(c.scenario.id, fingerprint(c.scenario), entries, at);
      }
    });
    this.pipeline?.unsubscribe();
    for (const c of this.compiled) c.model.dispose();
    this.alerts.dispose();
    await this.dispatchQueue.whenIdle();
    this.commits.flush(); // what arrived while the bus closed
    this.store.close();
    await this.store.whenClosed();
    this.diag.engineStopped(snapshotKeys);
  }

  /** Feeds one MQTT message into the pipeline (the bus calls this; so can replay and tests). */
  ingest(topic: string, payload: Buffer): void {
    this.counters.messages++;
    this.rawIn?.next({ topic, payload, receivedAt: this.scheduler.now() });
  }

  /**
   * Commits now what the current burst decided (normally at the end of the event-loop turn, see GroupCommit).
   * For replay and tests that drive the engine synchronously and look at the store right after.
   */
  commitPending(): void {
    this.commits.flush();
  }

  /**
   * Waits until every queued order change is decided (dispatch policy) and applied, then commits.
   * For replay and tests that drive the engine on a virtual clock and look at the store right after.
   */
  async settle(): Promise<void> {
    await this.dispatchQueue.whenIdle();
    this.commits.flush();
  }

  /** Order changes are waiting to be decided or committed (`settle()` would have work to do). */
  get busy(): boolean {
    return this.dispatchQueue.busy || this.commits.hasStaged;
  }

  /** Settles, then waits until every committed announcement is with the broker. */
  async flush(): Promise<void> {
    await this.settle();
    this.relay.kick();
    await this.relay.whenIdle();
  }

  // --- EngineApi -------------------------------------------------------------------------------

  health(): HealthReport {
    const connected = this.running && isConnected(this.bus);
    return {
      status: connected && this.store.isOpen ? 'ok' : 'degraded',
      uptimeMs: this.running ? this.scheduler.now() - this.startedAt : 0,
      broker: { kind: this.bus?.kind ?? 'embedded', connected },
      counters: {
        ...this.counters,
        openAlerts: this.alerts?.openCount ?? 0,
        outboxPending: this.store?.isOpen ? this.store.outbox.countPending() : 0,
        deadLetters: this.deadLetters.total,
        watchedOrders: this.watcher?.size ?? 0,
        dispatchQueue: this.dispatchQueue.pending,
      },
    };
  }

  listAlerts(query: AlertQuery): Page<Alert> {
    return this.store.alerts.list(query);
  }

  getAlert(id: string): Alert | undefined {
    return this.store.alerts.get(id);
  }

  listOrders(query: OrderQuery): Page<DispatchOrder> {
    return this.store.orders.list(query);
  }

  getOrder(id: string): DispatchOrder | undefined {
    return this.store.orders.get(id);
  }

  /**
   * A status report, applied in turn with every other order change (see DispatchQueue). A
   * rejection is followed at once by a re-route decided by the policy; the answer is the order as
   * stored after both.
   */
  async updateOrderStatus(id: string, update: OrderStatusUpdate): Promise<DispatchOrder> {
    const result = await this.dispatchQueue.run(
      () => this.rerouteDecision(id, update.status),
      (decision) => {
        const order = this.currentOrder(id);
        if (!order) throw ERR_NOT_FOUND('order', id);
        const at = this.scheduler.now();
        const changed = this.orders.applyStatus(order, update.status, at, update.note, update.by);
        if (!changed) return order;
        this.commits.stage({ update: changed });
        if (changed.order.status !== 'rejected' || !decision) return changed.order;
        const rerouted = this.orders.reroute(changed.order, decision, at);
        this.commits.stage({ update: rerouted });
        return rerouted.order;
      },
    );
    this.commits.flush(); // the API answers with the stored state
    return result;
  }

  getOrderTimeline(id: string, lang: TimelineLang): OrderTimeline | undefined {
    const order = this.store.orders.get(id);
    if (!order) return undefined;
    const alert = this.store.alerts.get(order.alertId);
    const timeZone = this.registryRef.context(order.deviceId)?.timeZone ?? this.registryRef.place(order.placeId)?.timeZone ?? DEFAULT_TIME_ZONE;
    return buildOrderTimeline(order, alert, lang, timeZone, { placeName: (placeId) => this.registryRef.place(placeId)?.name });
  }

  stats(query: StatsQuery): StatsReport {
    return buildOrderStats(this.store, query);
  }

  orderEventsAfter(afterId: number, limit: number): OrderEventRecord[] {
    return this.store.orderEvents.after(afterId, limit);
  }

  onOrderEvent(listener: (event: OrderEventRecord) => void): () => void {
    this.orderEventListeners.add(listener);
    return () => this.orderEventListeners.delete(listener);
  }

  listDeadDeliveries(limit: number): DeadDelivery[] {
    return this.store.outbox.listDead(limit);
  }

  redeliver(id: number): boolean {
    const revived = this.store.outbox.revive(id);
    if (revived) for (const hook of this.webhooks) hook.kick();
    return revived;
  }

  dispatchPolicy(): DispatchPolicyInfo {
    return this.policy.info();
  }

  /** Re-reads the policy file. A bad file throws ERR_POLICY_INVALID and the running policy stays. */
  async reloadDispatchPolicy(): Promise<DispatchPolicyInfo> {
    const definition = this.loadPolicyFile();
    this.policy.replace(definition, this.scheduler.now());
    this.diag.dispatchPolicyLoaded(definition.source, definition.rules.length);
    return this.policy.info();
  }

  listScenarios(): Scenario[] {
    return this.scenarioList;
  }

  listDeadLetters(query: DeadLetterQuery): DeadLetterPage {
    return this.deadLetters.page(query);
  }

  // --- the flow --------------------------------------------------------------------------------

  private onDetection(detection: Detection): void {
    this.counters.detections++;
    try {
      const event = this.alerts.handle(detection);
      if (event) this.commitAlertEvent(event);
    } catch (err) {
      this.stageFailed('alerts', err as Error);
    }
  }

  /**
   * An alert changed: decide its order (the policy runs for openings and escalations) and stage
   * both in turn with every other order change. The alert is snapshotted now: by the time the
   * policy answers, later readings may have changed it again.
   */
  private commitAlertEvent(live: AlertEvent): void {
    this.counters.alertEvents++;
    const event = snapshotEvent(live);
    this.dispatchQueue.push<DispatchDecision | undefined>({
      prepare: () => (this.orders.needsDecision(event) ? this.decide(event) : undefined),
      apply: (decision) => {
        let update: OrderUpdate | undefined;
        try {
          update = this.orders.onAlertEvent(event, decision);
        } catch (err) {
          this.stageFailed('dispatch', err as Error);
        }
        this.commits.stage(update ? { event, update } : { event });
      },
      fail: (err) => {
        // The alert itself is still recorded and announced; only its order could not be decided.
        this.stageFailed('dispatch', err);
        this.commits.stage({ event });
      },
    });
  }

  /** The policy's decision: at once when remembered (the usual case), else json-rules-engine's promise. */
  private decide(event: AlertEvent): DispatchDecision | Promise<DispatchDecision> | undefined {
    const ctx = this.registryRef.context(event.alert.deviceId);
    if (!ctx) return undefined;
    const subjectId = ctx.subject?.id;
    const existing = this.commits.pendingOrderFor(event.alert.id) ?? this.store.orders.findByAlert(event.alert.id);
    let openOrdersOfSubject = subjectId ? this.store.orders.countOpenForSubject(subjectId) : 0;
    if (existing && existing.subject?.id === subjectId && openOrdersOfSubject > 0 && existing.status !== 'cancelled') openOrdersOfSubject--;
    const facts = dispatchFacts({ alert: event.alert, ctx, at: event.at, openOrdersOfSubject, rejectedBy: existing?.rejectedBy ?? [] });
    return this.policy.decideNow(facts) ?? this.policy.decide(facts);
  }

  /** For a rejection: the policy's decision with the rejecting party added to `rejectedBy`. */
  private rerouteDecision(id: string, status: OrderStatus): DispatchDecision | Promise<DispatchDecision> | undefined {
    if (status !== 'rejected') return undefined;
    const order = this.currentOrder(id);
    const alert = order ? this.store.alerts.get(order.alertId) : undefined;
    const ctx = order ? this.registryRef.context(order.deviceId) : undefined;
    if (!order || !alert || !ctx) return undefined;
    const rejectedBy = [...order.rejectedBy, order.department?.id ?? order.assignee.placeId];
    const openOrdersOfSubject = ctx.subject ? Math.max(0, this.store.orders.countOpenForSubject(ctx.subject.id) - 1) : 0;
    const facts = dispatchFacts({ alert, ctx, at: this.scheduler.now(), openOrdersOfSubject, rejectedBy });
    return this.policy.decideNow(facts) ?? this.policy.decide(facts);
  }

  /** A deadline timer fired: whatever is due now (a warning or a miss) is applied in turn. */
  private onDeadline(orderId: string, now: number): void {
    this.dispatchQueue.push<undefined>({
      prepare: () => undefined,
      apply: () => {
        const order = this.currentOrder(orderId);
        if (!order) return;
        const due = dueAt(order, this.scheduler.now());
        if (!due) {
          this.watcher.watch(order); // moved on meanwhile (accepted, re-armed): watch the new times
          return;
        }
        const update = this.orders.deadlineDue(order, due, now);
        if (due.type === 'overdue') this.counters.overdue++;
        else this.counters.deadlineWarnings++;
        this.commits.stage({ update });
      },
      fail: (err) => this.stageFailed('deadlines', err),
    });
  }

  /** The newest version of an order: staged in this burst, else stored. */
  private currentOrder(id: string): DispatchOrder | undefined {
    return this.commits.pendingOrder(id) ?? this.store.orders.get(id);
  }

  private loadPolicyFile(): DispatchPolicyDefinition {
    const file = this.config.dispatch.policy || join(this.config.rules, 'dispatch', 'policy.yaml');
    if (!this.config.dispatch.policy && !existsSync(file)) return BUILT_IN_POLICY;
    // Checked against the registry (departments) and the scenarios (categories, ids): a typo is refused.
    return loadDispatchPolicyFile(file, { registry: this.registryRef, scenarios: this.scenarioList });
  }

  /** After the group commit: announce in commit order. */
  private announce(changes: PendingChange[], mqtt: RelayEntry[]): void {
    this.relay.committed(mqtt);
    let orders = false;
    for (const { event, update, orderEvent } of changes) {
      if (event) {
        this.diag.alertChanged(event);
        this.emit('alert', event);
      }
      if (update) {
        orders = true;
        if (update.change === 'created') this.counters.ordersCreated++;
        else this.counters.orderUpdates++;
        this.watcher.watch(update.order);
        this.diag.orderChanged(update.order, update.change);
        this.emit('order', update.order, update.change);
      }
      if (orderEvent) for (const listener of this.orderEventListeners) notifySafely(listener, orderEvent);
    }
    if (orders) {
      for (const hook of this.webhooks) hook.kick();
      this.pruneOrderEvents();
    }
  }

  /** The SSE history is kept `dispatch.retainEvents` (7 days): checked at most every 10 minutes. */
  private pruneOrderEvents(): void {
    const now = this.scheduler.now();
    if (now - this.lastEventPruneAt < 10 * 60_000) return;
    this.lastEventPruneAt = now;
    this.store.orderEvents.pruneOlderThan(now - durationMs(this.config.dispatch.retainEvents));
  }

  private reject(raw: RawMessage, err: RiskwatchError): void {
    this.counters.rejected++;
    const entry = this.deadLetters.add(raw, err);
    this.diag.readingRejected(err.code, raw.topic, err.message);
    if (this.config.deadLetters.publish && this.bus) {
      this.bus.publish(deadLetterTopic(this.prefix, entry.reason), JSON.stringify(entry), { qos: 0 }).catch(() => {
        this.counters.publishFailures++;
      });
    }
    this.emit('deadletter', entry);
  }

  /** `rw/orders/{orderId}/status` with `{"status": "accepted", "note": "...", "by": "..."}`. */
  private onStatusMessage(topic: string, payload: Buffer): void {
    const orderId = parseOrderStatusTopic(this.prefix, topic);
    if (!orderId) return;
    try {
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        throw ERR_VALIDATION('status payload is not JSON');
      }
      const update = body as Partial<OrderStatusUpdate> | null;
      if (!update || typeof update.status !== 'string') throw ERR_VALIDATION('status payload needs a "status"');
      const accepted: OrderStatusUpdate = { status: update.status };
      if (typeof update.note === 'string') accepted.note = update.note;
      if (typeof update.by === 'string') accepted.by = update.by;
      this.updateOrderStatus(orderId, accepted).catch((err: unknown) => this.statusRejected(orderId, err));
    } catch (err) {
      this.statusRejected(orderId, err);
    }
  }

  private statusRejected(orderId: string, err: unknown): void {
    this.counters.statusUpdatesRejected++;
    this.diag.statusUpdateRejected(orderId, isRiskwatchError(err) ? err.code : 'ERR_INTERNAL');
  }

  private stageFailed(stage: string, err: Error): void {
    this.counters.stageErrors++;
    this.diag.stageFailed(stage, isRiskwatchError(err) ? err : ERR_PIPELINE_STAGE(stage, err.message));
  }

  private createBus(): MessageBus {
    const { mqtt } = this.config;
    if (mqtt.broker) {
      return new ExternalBus({
        url: mqtt.broker,
        protocolVersion: mqtt.protocolVersion as 4 | 5,
        clientId: mqtt.clientId,
        ...(mqtt.username ? { username: mqtt.username, password: mqtt.password } : {}),
        onHandlerError: (err) => this.stageFailed('bus', err as Error),
        onError: (err) => this.diag.busError(err as Error),
        onConnectionChange: (connected) => this.diag.busConnection(mqtt.broker, connected),
      });
    }
    return new EmbeddedBus({
      port: mqtt.port,
      host: mqtt.host,
      hooks: {
        prefix: this.prefix,
        onDenied: (denial) => {
          this.counters.publishesDenied++;
          this.diag.publishDenied(denial.clientId, denial.topic, denial.reason);
        },
      },
      onHandlerError: (err) => this.stageFailed('bus', err as Error),
    });
  }
}

/** A scenario's definition, so a snapshot is only restored into the scenario that took it. */
function fingerprint(scenario: Scenario): string {
  const { source: _source, ...definition } = scenario;
  return JSON.stringify(definition);
}

/** Outbox sink name of a webhook endpoint. */
function webhookSink(url: string): string {
  return `webhook:${url}`;
}

/** A failing SSE listener must not stop the others or the engine. */
function notifySafely(listener: (event: OrderEventRecord) => void, event: OrderEventRecord): void {
  try {
    listener(event);
  } catch {
    // the stream route unsubscribes broken connections itself
  }
}

function isConnected(bus: MessageBus | undefined): boolean {
  if (!bus) return false;
  const flag = (bus as { connected?: boolean }).connected;
  return flag === undefined ? true : flag;
}

export function createEngine(config: RiskwatchConfig, deps: EngineDeps = {}): Engine {
  return new Engine(config, deps);
}
