import { EventEmitter } from 'node:events';
import { asyncScheduler } from 'rxjs';
import { pino, type Logger } from 'pino';
import type { AlertEvent } from './contracts/alert.js';
import type { MessageBus, MessageHandler } from './contracts/bus.js';
import type { Change } from './contracts/change.js';
import type { Scheduler } from './contracts/clock.js';
import type { EngineApi, EngineCounters, HealthReport, OrderStatusUpdate } from './contracts/engine-api.js';
import type { DispatchOrder } from './contracts/order.js';
import type { DeviceContext } from './contracts/registry.js';
import type { Scenario } from './contracts/scenario.js';
import type { Sink } from './contracts/sink.js';
import { durationMs, type RiskwatchConfig } from './core/config.js';
import { createDiagnostics, type Diagnostics } from './core/diagnostics.js';
import { ERR_PIPELINE_STAGE, isRiskwatchError } from './core/errors.js';
import { createBus, embeddedPort } from './broker/create-bus.js';
import { inputFilter } from './broker/input-filter.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { DispatchPolicyEngine } from './policy/policy-engine.js';
import { DeadLetterStore } from './ingest/dead-letters.js';
import { decodeOrderStatusMessage } from './ingest/order-status-message.js';
import type { RecordedTopic } from './ingest/recording-reader.js';
import { PERSONAL_FIELD_PATHS } from './registry/personal-data.js';
import type { Registry } from './registry/registry.js';
import { EngineQueries } from './reports/engine-queries.js';
import { buildSinks } from './sinks/sink-kinds.js';
import { OrderLogSink } from './sinks/order-log-sink.js';
import { openStore, type Store } from './store/store.js';
import { GroupCommit } from './engine/group-commit.js';
import { loadKnowledge, loadPolicyFile } from './engine/knowledge.js';
import { ModelCheckpointer, type CheckpointStats } from './engine/model-checkpointer.js';
import { restoreModelStates } from './engine/model-states.js';
import { RegistryWatch } from './engine/registry-watch.js';
import { orderBook } from './engine/order-book.js';
import { Pipeline } from './engine/pipeline.js';
import { createCounters } from './engine/counters.js';
import { healthReport } from './engine/health.js';
import type { EngineDeps, EngineEvents } from './engine/engine-deps.js';
import { Rejections } from './engine/rejections.js';
import { routeInput } from './engine/input-routes.js';

export type { EngineDeps, EngineEvents } from './engine/engine-deps.js';
export type { EngineCounters } from './contracts/engine-api.js';

/**
 * The wiring, and nothing else: builds the stages of the one-way flow and owns their start and
 * stop order (docs/architecture.md):
 *
 *   bus → ingest → detect (scenario models) → alerts → dispatcher → group commit → sinks
 *
 * Start: what the engine knows (registry, scenarios, policy), then sinks (store, outbox sinks),
 * then the pipeline, then sources, so nothing is received before it can be stored and announced;
 * stop is the reverse. Reads go to `EngineQueries`, order changes to the `Dispatcher`.
 */
export class Engine extends EventEmitter<EngineEvents> implements EngineApi {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly counters: EngineCounters = createCounters();
  private readonly diag: Diagnostics;
  private readonly deadLetters: DeadLetterStore;
  private readonly rejections: Rejections;
  private readonly prefix: string;
  private running = false;
  private startedAt = 0;
  private store!: Store;
  private registryRef!: Registry;
  private scenarioList: Scenario[] = [];
  private policy!: DispatchPolicyEngine;
  private bus!: MessageBus;
  private sinks: Sink[] = [];
  private orderLog!: OrderLogSink;
  private commits!: GroupCommit;
  private dispatcher!: Dispatcher;
  private queries!: EngineQueries;
  private readonly pipeline: Pipeline;
  private checkpoints: ModelCheckpointer | undefined;
  private registryWatch: RegistryWatch | undefined;
  /**
   * Every message of the input subscription, as the bus delivers it: routed by topic to ingest, the
   * status handler or the `ignored` count (engine/input-routes.ts). Tests and the ingest fuzzer
   * call it to take the same path without a socket.
   */
  readonly receive: MessageHandler;

  constructor(readonly config: RiskwatchConfig, private readonly deps: EngineDeps = {}) {
    super();
    this.scheduler = deps.scheduler ?? asyncScheduler;
    this.logger = deps.logger ?? pino({ level: config.log.level, redact: [...PERSONAL_FIELD_PATHS] });
    this.diag = createDiagnostics(this.logger);
    this.prefix = config.mqtt.topicPrefix;
    this.deadLetters = new DeadLetterStore(config.deadLetters.capacity);
    this.rejections = new Rejections({
      deadLetters: this.deadLetters, counters: this.counters, diag: this.diag, topicPrefix: this.prefix,
      bus: () => (config.deadLetters.publish ? this.bus : undefined), onDeadLetter: (entry) => this.emit('deadletter', entry),
    });
    this.pipeline = new Pipeline(this.scheduler, this.counters, this.diag);
    this.receive = routeInput({
      prefix: this.prefix, counters: this.counters, diag: this.diag,
      ingest: (topic, payload) => this.ingest(topic, payload), status: (topic, payload) => this.onStatusMessage(topic, payload),
    });
  }

  get registry(): Registry {
    return this.registryRef;
  }

  get messageBus(): MessageBus {
    return this.bus;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config, deps, scheduler, counters, diag } = this;
    // 1. What the engine knows; an invalid scenario or policy file refuses the start.
    ({ registry: this.registryRef, scenarios: this.scenarioList } = loadKnowledge(config, deps));
    const registry = this.registryRef;
    this.policy = new DispatchPolicyEngine(deps.dispatchPolicy ?? loadPolicyFile(config, registry, this.scenarioList), scheduler.now());
    // 2. Sinks first: the store, and every sink with its outbox.
    const store = (this.store = openStore(config.data));
    this.bus = deps.bus ?? createBus(config.mqtt, { diag, onDenied: () => counters.publishesDenied++, onHandlerError: (err) => this.stageFailed('bus', err) });
    this.sinks = buildSinks({ config, scheduler, outbox: store.outbox, orderLog: store.orderEvents, bus: this.bus, counters, diag });
    this.orderLog = this.sinks.find((sink): sink is OrderLogSink => sink instanceof OrderLogSink)!;
    this.commits = new GroupCommit({ store, sinks: this.sinks, now: () => scheduler.now(), onCommitted: (c) => this.announce(c), onError: (err) => this.stageFailed('store', err) });
    const dispatches = new Map(this.scenarioList.map((s) => [s.id, s.dispatch]));
    this.dispatcher = new Dispatcher({
      scheduler, policy: this.policy, registry, book: orderBook(store, this.commits), counters,
      scenarioDispatches: (id) => dispatches.get(id) ?? false, onStageFailed: (stage, err) => this.stageFailed(stage, err),
    });
    // Deadlines keep running across a restart: re-arm every unfinished order (past ones fire at once).
    this.dispatcher.restore(store.orders.listUnfinished());
    this.pipeline.start(config, registry, this.scenarioList, {
      onAlertEvent: (event) => this.onAlertEvent(event), onReject: (raw, err) => this.rejections.reading(raw, err), onStageFailed: (stage, err) => this.stageFailed(stage, err),
    });
    this.pipeline.alerts.restore(store.alerts.findOpen());
    this.queries = new EngineQueries({ alerts: store.alerts, orders: store.orders, outbox: store.outbox, stats: store, registry });
    // 3. The pipeline, with the model state of the last checkpoint restored before any reading
    //    (verdicts following the alerts just restored), and every registry device watched for silence.
    const compiled = this.pipeline.compiled;
    const restoredKeys = restoreModelStates(compiled, store, (id) => registry.context(id), this.pipeline.alerts.openAlerts());
    this.registryWatch = new RegistryWatch({ compiled, devices: registryContexts(registry), since: scheduler.now(), now: () => scheduler.now() });
    this.registryWatch.start();
    this.checkpoints = new ModelCheckpointer({
      models: compiled.map((c) => ({ scenarioId: c.scenario.id, model: c.model })), store, scheduler,
      intervalMs: durationMs(config.checkpoint.interval), onError: (err) => this.stageFailed('checkpoint', err),
    });
    // 4. Sources last.
    try {
      await this.bus.open();
      for (const sink of this.sinks) sink.start();
      await this.bus.subscribe(inputFilter(this.bus.kind, this.prefix), this.receive);
    } catch (err) {
      // A port in use or an unreachable broker: leave nothing half-open behind.
      for (const sink of this.sinks) sink.stop();
      this.registryWatch.stop();
      this.dispatcher.dispose();
      this.pipeline.dispose();
      await this.bus.close().catch(() => undefined);
      store.close();
      throw err;
    }
    this.startedAt = scheduler.now();
    this.running = true;
    this.checkpoints.start();
    const mqttPort = embeddedPort(this.bus);
    diag.engineStarted({
      broker: this.bus.kind === 'external' ? config.mqtt.broker : 'embedded', ...(mqttPort !== undefined ? { mqttPort } : {}),
      scenarios: this.scenarioList.length, devices: registry.counts().devices, pendingOutbox: store.outbox.countPending(), restoredKeys,
      dispatchPolicy: this.policy.info().source, watchedOrders: this.dispatcher.watchedOrders, sinks: this.sinks.map((sink) => sink.name.split(':')[0]!),
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.settle();
    this.dispatcher.dispose();
    // No new delivery passes; what is committed but not delivered stays in the outbox and goes out
    // on the next start. (Waiting for it here could wait forever on a dead broker.)
    for (const sink of this.sinks) sink.stop();
    await this.bus.close(); // no more input; an external bus waits briefly for outstanding PUBACKs
    await Promise.all(this.sinks.map((sink) => sink.whenIdle()));
    await this.settle();
    this.registryWatch!.stop();
    const snapshotKeys = this.checkpoints!.stop(); // what changed since the last checkpoint
    this.pipeline.dispose();
    await this.settle(); // what arrived while the bus closed
    this.store.close();
    await this.store.whenClosed();
    this.diag.engineStopped(snapshotKeys);
  }

  /** Feeds one message into ingest, whatever its topic (`receive` routes here; so do replay and tests). */
  ingest(topic: string, payload: Buffer): void {
    this.counters.messages++;
    this.pipeline.push(topic, payload);
  }

  /**
   * `ingest` for a message whose payload is `bytes[from, to)` and whose topic may come as a
   * recording's `RecordedTopic`: what replay feeds from a recording chunk, without a view or a
   * topic lookup per message. The same pipeline and the same decoder as `ingest`.
   */
  ingestRange(topic: string, recorded: RecordedTopic | undefined, bytes: Buffer, from: number, to: number): void {
    this.counters.messages++;
    this.pipeline.pushRange(topic, recorded, bytes, from, to);
  }

  /**
   * Writes every model key changed so far now, instead of at the next checkpoint; resolves with the
   * keys written. For tests that look at what a crash would leave behind.
   */
  checkpointModels(): Promise<number> {
    return this.checkpoints?.checkpointNow() ?? Promise.resolve(0);
  }

  /**
   * Resolves once every registry device is watched for silence: `start()` hands them to the
   * models in slices, a large registry finishing a few seconds after the start (engine/registry-watch.ts).
   */
  registryWatched(): Promise<void> {
    return this.registryWatch?.done ?? Promise.resolve();
  }

  /** What the model-state checkpoints have written so far (health, benchmarks). */
  get checkpointStats(): Readonly<CheckpointStats> | undefined {
    return this.checkpoints?.stats;
  }

  /** Commits now what the current burst decided; for replay and tests that read the store right after. */
  commitPending(): void {
    this.commits.flush();
  }

  /** Waits until every queued order change is decided (dispatch policy) and applied, then commits. */
  async settle(): Promise<void> {
    await this.dispatcher.whenIdle();
    this.commits.flush();
  }

  /** Order changes are waiting to be decided or committed (`settle()` would have work to do). */
  get busy(): boolean {
    return this.dispatcher.busy || this.commits.hasStaged;
  }

  /** Settles, then waits until every committed announcement has left through its sink. */
  async flush(): Promise<void> {
    await this.settle();
    for (const sink of this.sinks) sink.kick();
    await Promise.all(this.sinks.map((sink) => sink.whenIdle()));
  }

  // --- EngineApi: reads go to the queries, order changes to the dispatcher ----------------------

  health(): HealthReport {
    const open = this.store?.isOpen ?? false;
    return healthReport(this.running, this.scheduler.now() - this.startedAt, this.bus, open, this.counters, {
      openAlerts: this.pipeline.alerts?.openCount ?? 0,
      outboxPending: open ? this.store.outbox.countPending() : 0,
      deadLetters: this.deadLetters.total,
      watchedOrders: this.dispatcher?.watchedOrders ?? 0,
      dispatchQueue: this.dispatcher?.pending ?? 0,
    });
  }

  listAlerts: EngineApi['listAlerts'] = (query) => this.queries.listAlerts(query);
  getAlert: EngineApi['getAlert'] = (id) => this.queries.getAlert(id);
  listOrders: EngineApi['listOrders'] = (query) => this.queries.listOrders(query);
  getOrder: EngineApi['getOrder'] = (id) => this.queries.getOrder(id);
  getOrderTimeline: EngineApi['getOrderTimeline'] = (id, lang) => this.queries.getOrderTimeline(id, lang);
  stats: EngineApi['stats'] = (query) => this.queries.stats(query);
  listDeadDeliveries: EngineApi['listDeadDeliveries'] = (limit) => this.queries.listDeadDeliveries(limit);
  updateOrderStatus = (id: string, update: OrderStatusUpdate): Promise<DispatchOrder> => this.dispatcher.updateOrderStatus(id, update);
  orderEventsAfter: EngineApi['orderEventsAfter'] = (afterId, limit) => this.orderLog.eventsAfter(afterId, limit);
  onOrderEvent: EngineApi['onOrderEvent'] = (listener) => this.orderLog.onEvent(listener);
  dispatchPolicy: EngineApi['dispatchPolicy'] = () => this.policy.info();
  listScenarios: EngineApi['listScenarios'] = () => this.scenarioList;
  listDeadLetters: EngineApi['listDeadLetters'] = (query) => this.deadLetters.page(query);

  redeliver(id: number): boolean {
    const revived = this.store.outbox.revive(id);
    if (revived) for (const sink of this.sinks) sink.kick();
    return revived;
  }

  /** Re-reads the policy file. A bad file throws ERR_POLICY_INVALID and the running policy stays. */
  async reloadDispatchPolicy(): ReturnType<EngineApi['reloadDispatchPolicy']> {
    const definition = loadPolicyFile(this.config, this.registryRef, this.scenarioList);
    this.policy.replace(definition, this.scheduler.now());
    this.diag.dispatchPolicyLoaded(definition.source, definition.rules.length);
    return this.policy.info();
  }

  // --- the flow ---------------------------------------------------------------------------------

  private onAlertEvent(event: AlertEvent): void {
    this.counters.alertEvents++;
    this.dispatcher.onAlertEvent(event);
  }

  /** After each group commit: emit, count and watch in commit order (the sinks have it already). */
  private announce(changes: Change[]): void {
    for (const { event, update } of changes) {
      if (event) {
        this.diag.alertChanged(event);
        this.emit('alert', event);
      }
      if (update) {
        if (update.change === 'created') this.counters.ordersCreated++;
        else this.counters.orderUpdates++;
        this.dispatcher.committed(update.order);
        this.diag.orderChanged(update.order, update.change);
        this.emit('order', update.order, update.change);
      }
    }
  }

  /** A dispatch system's report on `{prefix}/orders/{orderId}/status`. */
  private onStatusMessage(topic: string, payload: Buffer): void {
    try {
      const message = decodeOrderStatusMessage(this.prefix, topic, payload);
      if (message) this.updateOrderStatus(message.orderId, message.update).catch((err: unknown) => this.rejections.status(message.orderId, err));
    } catch (err) {
      this.rejections.status(String((err as { details?: { orderId?: unknown } }).details?.orderId ?? ''), err);
    }
  }

  private stageFailed(stage: string, err: Error): void {
    this.counters.stageErrors++;
    this.diag.stageFailed(stage, isRiskwatchError(err) ? err : ERR_PIPELINE_STAGE(stage, err.message));
  }
}

/** Every device's enrichment context, one at a time. */
function* registryContexts(registry: Registry): Generator<DeviceContext> {
  for (const device of registry.devices()) {
    const ctx = registry.context(device.id);
    if (ctx) yield ctx;
  }
}

export function createEngine(config: RiskwatchConfig, deps: EngineDeps = {}): Engine {
  return new Engine(config, deps);
}
