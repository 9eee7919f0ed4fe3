import type { DeviceType } from '../src/contracts/registry.js';

/**
 * Anything the latency probe can drive: readings go in over MQTT at `inputUrl` (`rw/telemetry/{id}`),
 * an output per trigger comes back on `outputTopics` at `outputUrl`. riskwatch, Node-RED with the
 * same threshold rule, a bare broker (whose "output" is the trigger itself) and the durable hop
 * (the trigger, committed to SQLite and republished) all fit.
 *
 * Lifecycle: started by its own start function (systems/riskwatch.ts, peers/*) → processed() any
 * number of times → stop().
 */
export interface SystemUnderTest {
  name: string;
  /** What it is, for the report: versions, broker, configuration. */
  description: string;
  inputUrl: string;
  outputUrl: string;
  outputTopics: string[];
  /**
   * The QoS the probe subscribes with: the QoS the system publishes its outputs at (riskwatch's
   * orders 1, Node-RED's alerts and the bare hops 0), so each is received as its own consumers would.
   */
  outputQos: 0 | 1;
  /** Where the device id sits in an output's JSON ([] = last topic level) and the output type to count. */
  match: { deviceIdPath: string[]; type?: string };
  /** Trigger readings go to `{triggerTopicPrefix}/{id}`. */
  triggerTopicPrefix: string;
  /** Readings the system has taken in so far; null when it cannot tell (a bare broker). */
  processed(): Promise<number | null>;
  /** Model-state keys checkpointed so far and the longest checkpoint slice (riskwatch only). */
  checkpoints?(): { keys: number; passes: number; longestSliceMs: number };
  stop(): Promise<void>;
}

/** The fleet a run feeds: every device's [id, type], and the gas detectors that can raise a red alert. */
export interface ProbeFleet {
  devices: [string, DeviceType][];
  gasDetectors: string[];
}
