import { deviceTypeSpec } from '../src/catalogue/device-catalogue.js';
import type { RecordedMessage } from '../src/contracts/recording.js';
import { DEFAULT_TOPIC_PREFIX, telemetryTopic } from '../src/core/topics.js';
import type { DeviceEffect, DeviceModel, DeviceProfile, SimMetrics } from './devices/device-model.js';
import { deviceModel } from './devices/index.js';
import { DueQueue } from './due-queue.js';
import type { Fleet } from './fleet.js';
import { streamFor, type Rng } from './random.js';

/** NB-IoT batch reporting: meters (`batches: true` in the device catalogue) buffer their intervals and upload them together. */
export interface BatchOptions {
  /**
   * How often a meter uploads (default 1 h: 4 water intervals per message). Keep it below
   * `meter-offline`'s first level (2 h), or every batching meter looks offline between uploads.
   */
  everyMs: number;
}

export interface SimulationOptions {
  fleet: Fleet;
  seed: number;
  /** Simulated time span [startMs, endMs): event time of the first and (exclusive) last message. */
  startMs: number;
  endMs: number;
  topicPrefix?: string;
  /** Injected incidents per device id (`planIncidents(...).effects`). */
  effects?: ReadonlyMap<string, readonly DeviceEffect[]>;
  batch?: BatchOptions;
}

export const DEFAULT_BATCH_EVERY_MS = 3_600_000;

export interface TimedReading {
  ts: number;
  metrics: SimMetrics;
}

/** Per device: small on purpose (a city has hundreds of thousands). */
interface RunningDevice {
  profile: DeviceProfile;
  model: DeviceModel<unknown>;
  state: unknown;
  rng: Rng;
  topic: string;
  lastAt: number;
  effects: readonly DeviceEffect[];
  /** Index of the first effect that has not ended yet. */
  effectAt: number;
  /** Readings per upload (1 = no batching). */
  batchSize: number;
  buffer: TimedReading[] | undefined;
}

const NO_EFFECTS: readonly DeviceEffect[] = Object.freeze([]);

/**
 * The fleet's traffic over simulated time, as the messages devices publish, in non-decreasing event
 * time `t` (ties in fleet order). Lazy: one message at a time, driven by a heap of next-due
 * times, so a city of 100 000 households costs a few hundred bytes per device and never a scan of
 * the whole fleet per step.
 *
 * Each device draws from its own stream (seed, device id) and starts at its own phase within its
 * reporting interval, so its messages do not depend on which other devices exist. Incidents
 * change what a device reads (see the device models); `meter_silent` stops it publishing at all.
 */
export function* simulate(options: SimulationOptions): Generator<RecordedMessage, void, undefined> {
  const { fleet, seed, startMs, endMs } = options;
  const prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const devices: RunningDevice[] = [];
  const queue = new DueQueue(fleet.devices.length);
  for (const profile of fleet.devices) {
    const model = deviceModel(profile.type);
    const rng = streamFor(seed, profile.id);
    const phase = Math.floor(rng.next() * (model.reportEveryMs / 1000)) * 1000;
    const firstAt = startMs + phase;
    const batches = deviceTypeSpec(profile.type)?.batches === true;
    const batchSize = options.batch && batches ? Math.max(1, Math.round(options.batch.everyMs / model.reportEveryMs)) : 1;
    const device: RunningDevice = {
      profile,
      model,
      state: model.init(profile, rng, startMs),
      rng,
      topic: telemetryTopic(prefix, profile.id),
      lastAt: firstAt - model.reportEveryMs,
      effects: options.effects?.get(profile.id) ?? NO_EFFECTS,
      effectAt: 0,
      batchSize,
      buffer: batchSize > 1 ? [] : undefined,
    };
    queue.push(devices.length, wakeFor(device, firstAt - model.reportEveryMs, firstAt));
    devices.push(device);
  }

  while (queue.length > 0) {
    const at = queue.peekDue();
    if (at >= endMs) return;
    const device = devices[queue.peek()]!;
    const effect = currentEffect(device, at);
    const metrics = device.model.next(device.state, device.profile, device.lastAt, at, device.rng, effect);
    device.lastAt = at;
    queue.reschedule(wakeFor(device, at, device.model.nextDueAt(device.state, at, effect)));
    if (metrics === undefined) continue;
    if (effect !== undefined && effect.kind === 'meter_silent' && effect.startAt <= at) {
      // A dead meter loses what it had buffered too: nothing of it is ever published after startAt.
      if (device.buffer) device.buffer.length = 0;
      continue;
    }
    if (device.buffer === undefined) {
      yield { t: at, topic: device.topic, payload: { ts: at, metrics } };
      continue;
    }
    device.buffer.push({ ts: at, metrics });
    if (device.buffer.length >= device.batchSize) {
      const readings = device.buffer;
      device.buffer = [];
      yield { t: at, topic: device.topic, payload: { readings } };
    }
  }
}

/**
 * The effect a reading at `at` is under, or the next one to come; effects that ended are skipped
 * for good (a device's effects are sorted by start).
 */
function currentEffect(device: RunningDevice, at: number): DeviceEffect | undefined {
  const { effects } = device;
  while (device.effectAt < effects.length) {
    const effect = effects[device.effectAt]!;
    if (effect.endAt === undefined || at < effect.endAt) return effect.startAt <= at ? effect : undefined;
    device.effectAt++;
  }
  return undefined;
}

/** `dueAt`, or earlier for a device that reports on change when an incident starts before it. */
function wakeFor(device: RunningDevice, afterMs: number, dueAt: number): number {
  if (!device.model.reportsOnEvent) return dueAt;
  for (let i = device.effectAt; i < device.effects.length; i++) {
    const start = device.effects[i]!.startAt;
    if (start > afterMs && start < dueAt) return start;
  }
  return dueAt;
}
