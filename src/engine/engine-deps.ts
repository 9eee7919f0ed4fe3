import type { Logger } from 'pino';
import type { AlertEvent } from '../contracts/alert.js';
import type { MessageBus } from '../contracts/bus.js';
import type { Scheduler } from '../contracts/clock.js';
import type { DispatchOrder, OrderChange } from '../contracts/order.js';
import type { Scenario } from '../contracts/scenario.js';
import type { DeadLetter } from '../ingest/dead-letters.js';
import type { DispatchPolicyDefinition } from '../policy/policy-definition.js';
import type { Registry } from '../registry/registry.js';

/** Typed engine events (MQTT.js `TypedEventEmitter` style): `engine.on('order', (o, change) => …)`. */
export interface EngineEvents {
  alert: [event: AlertEvent];
  order: [order: DispatchOrder, change: OrderChange];
  deadletter: [entry: DeadLetter];
}

/** What a caller may give the engine instead of what the configuration names. */
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
