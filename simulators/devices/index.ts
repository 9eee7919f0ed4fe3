import type { DeviceType } from '../../src/contracts/registry.js';
import type { DeviceModel } from './device-model.js';
import { doorSensor } from './door-sensor.js';
import { gasDetector } from './gas-detector.js';
import { gasMeter } from './gas-meter.js';
import { smokeDetector } from './smoke-detector.js';
import { waterMeter } from './water-meter.js';

/** The model of each device type. */
export const DEVICE_MODELS: Readonly<Record<DeviceType, DeviceModel<unknown>>> = {
  water_meter: waterMeter as DeviceModel<unknown>,
  gas_meter: gasMeter as DeviceModel<unknown>,
  gas_detector: gasDetector as DeviceModel<unknown>,
  smoke_detector: smokeDetector as DeviceModel<unknown>,
  door_sensor: doorSensor as DeviceModel<unknown>,
};

/** Meters upload in NB-IoT batches when batching is on; detectors never wait to report. */
export const BATCHING_TYPES: ReadonlySet<DeviceType> = new Set(['water_meter', 'gas_meter']);
