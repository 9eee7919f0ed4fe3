import type { DeviceType } from '../../src/contracts/registry.js';
import { catalogueDeviceModel } from './catalogue-device.js';
import type { DeviceModel } from './device-model.js';
import { doorSensor } from './door-sensor.js';
import { gasDetector } from './gas-detector.js';
import { gasMeter } from './gas-meter.js';
import { smokeDetector } from './smoke-detector.js';
import { waterMeter } from './water-meter.js';

/**
 * Hand-written models: daily rhythms, household effects and incidents that the catalogue's
 * `simulation` section cannot express. Every other catalogue type runs the generic model.
 */
const HAND_WRITTEN: Readonly<Record<DeviceType, DeviceModel<unknown>>> = {
  water_meter: waterMeter as DeviceModel<unknown>,
  gas_meter: gasMeter as DeviceModel<unknown>,
  gas_detector: gasDetector as DeviceModel<unknown>,
  smoke_detector: smokeDetector as DeviceModel<unknown>,
  door_sensor: doorSensor as DeviceModel<unknown>,
};

const generic = new Map<DeviceType, DeviceModel<unknown>>();

/**
 * The model of a device type: its hand-written one, else one made from the device catalogue.
 * Throws for a type the catalogue does not declare (the registry would have refused the device).
 */
export function deviceModel(type: DeviceType): DeviceModel<unknown> {
  const written = Object.hasOwn(HAND_WRITTEN, type) ? HAND_WRITTEN[type] : undefined;
  if (written) return written;
  let model = generic.get(type);
  if (!model) {
    model = catalogueDeviceModel(type) as DeviceModel<unknown>;
    generic.set(type, model);
  }
  return model;
}
