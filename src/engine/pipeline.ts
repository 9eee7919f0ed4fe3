import { Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import type { AlertEvent } from '../contracts/alert.js';
import type { Scheduler } from '../contracts/clock.js';
import type { Detection } from '../contracts/detection.js';
import type { EngineCounters } from '../contracts/engine-api.js';
import type { RawMessage } from '../contracts/reading.js';
import type { Scenario } from '../contracts/scenario.js';
import { durationMs, type RiskwatchConfig } from '../core/config.js';
import type { Diagnostics } from '../core/diagnostics.js';
import type { RiskwatchError } from '../core/errors.js';
import { AlertManager } from '../alerts/alert-manager.js';
import { ingestTelemetry } from '../ingest/ingest-operator.js';
import type { RecordedTopic } from '../ingest/recording-reader.js';
import { createTelemetryDecoder, MessageSlot, type DeviceContextSource } from '../ingest/telemetry-decoder.js';
import { compileScenario, type CompiledScenario } from '../scenarios/compile.js';
import { detectRisks } from './detect-risks.js';

export interface PipelineHooks {
  /** An alert changed, from a reading or from a model timer. */
  onAlertEvent(event: AlertEvent): void;
  /** A message could not become readings: counted and dead-lettered by the caller. */
  onReject(raw: RawMessage, err: RiskwatchError): void;
  onStageFailed(stage: string, err: Error): void;
}

/**
 * The reading path, one direction: raw message → ingest (decode, validate, enrich) → detect
 * (every applicable scenario model) → alert lifecycle → `onAlertEvent`. Model timers (offline,
 * inactivity, `for` durations) join the same stream of detections, so a detection is handled the
 * same whether a reading or the clock caused it.
 *
 * Lifecycle: new → start() → push()* → dispose().
 */
export class Pipeline {
  /** The running scenarios, in the order they were loaded. */
  compiled: CompiledScenario[] = [];
  alerts!: AlertManager;
  /**
   * The entrance. It has one subscriber, the pipeline, which `push` calls directly: a Subject
   * would allocate a closure and an iterator per message to reach it (replay profile).
   */
  private rawIn: Subscriber<RawMessage> | undefined;
  private readonly raw$ = new Observable<RawMessage>((subscriber) => {
    this.rawIn = subscriber;
    return () => {
      if (this.rawIn === subscriber) this.rawIn = undefined;
    };
  });
  /**
   * The message being pushed, one object refilled per push rather than one allocated per message
   * (replay profile), carrying its payload as a range of bytes (ingest/telemetry-decoder.ts
   * `MessageSlot`). Only the ingest stage sees it, synchronously; a rejected message leaves as a
   * copy (`onReject`), so nothing keeps the object. A push while one is in flight (a subscriber
   * publishing back into the engine) gets an object of its own.
   */
  private readonly message = new MessageSlot();
  private pushing = false;
  private readonly modelOutput = new Subject<Detection>();
  private subscription: Subscription | undefined;

  constructor(private readonly scheduler: Scheduler, private readonly counters: EngineCounters, private readonly diag: Diagnostics) {}

  /** Compiles the scenarios and subscribes the stages; nothing flows until `push`. */
  start(config: RiskwatchConfig, registry: DeviceContextSource, scenarios: readonly Scenario[], hooks: PipelineHooks): void {
    const { scheduler, counters, diag } = this;
    const byId = new Map(scenarios.map((s) => [s.id, s]));
    this.alerts = new AlertManager({
      scheduler,
      scenario: (id) => byId.get(id),
      onSuppressed: (scenarioId, key) => {
        counters.alertsSuppressed++;
        diag.alertSuppressed(scenarioId, key, 'cooldown');
      },
      onTimedEvent: hooks.onAlertEvent,
    });
    this.compiled = scenarios.map((s) => {
      diag.scenarioLoaded(s.id, s.model, s.source);
      const onExpressionError = (err: Error) => {
        counters.expressionErrors++;
        diag.expressionFailed(s.id, err);
      };
      return compileScenario(s, { scheduler, emit: (d) => this.modelOutput.next(d) }, onExpressionError);
    });
    const decoder = createTelemetryDecoder({
      topicPrefix: config.mqtt.topicPrefix,
      maxPayloadBytes: config.ingest.maxPayloadBytes,
      maxBatchReadings: config.ingest.maxBatchReadings,
      maxFutureSkewMs: durationMs(config.ingest.maxFutureSkew),
      maxReadingAgeMs: durationMs(config.ingest.maxReadingAge),
    }, registry);
    this.subscription = this.raw$
      .pipe(
        ingestTelemetry(
          decoder,
          (raw, err) => hooks.onReject({ topic: raw.topic, payload: raw.payload, receivedAt: raw.receivedAt }, err),
          () => counters.accepted++,
        ),
        detectRisks(this.compiled, this.modelOutput, (err) => hooks.onStageFailed('detect', err)),
      )
      .subscribe((detection) => {
        counters.detections++;
        try {
          const event = this.alerts.handle(detection);
          if (event) hooks.onAlertEvent(event);
        } catch (err) {
          hooks.onStageFailed('alerts', err as Error);
        }
      });
  }

  /** One MQTT message in, received now on the engine clock. */
  push(topic: string, payload: Buffer): void {
    this.pushRange(topic, undefined, payload, 0, payload.length);
  }

  /**
   * One message whose payload is `bytes[from, to)`, received now on the engine clock: replay feeds
   * a recording chunk's bytes in place, with the recording's `RecordedTopic` when it has one.
   */
  pushRange(topic: string, recorded: RecordedTopic | undefined, bytes: Buffer, from: number, to: number): void {
    const rawIn = this.rawIn;
    if (rawIn === undefined) return;
    const receivedAt = this.scheduler.now();
    if (this.pushing) {
      rawIn.next(new MessageSlot().fill(topic, recorded, bytes, from, to, receivedAt));
      return;
    }
    const message = this.message.fill(topic, recorded, bytes, from, to, receivedAt);
    this.pushing = true;
    try {
      rawIn.next(message);
    } finally {
      this.pushing = false;
      message.clear(); // do not keep the last payload (a view of a whole recording chunk) alive
    }
  }

  /** Unsubscribes the stages and cancels every model and alert timer. */
  dispose(): void {
    this.subscription?.unsubscribe();
    for (const c of this.compiled) c.model.dispose();
    this.alerts?.dispose();
  }
}
