import type { Rng } from '../random.js';
import { localTime } from '../local-time.js';
import { CatalogueReadings, type CatalogueReadingState, type ReadingMode } from './catalogue-readings.js';
import { isUnder, type DeviceEffect, type DeviceModel, type DeviceProfile, type SimMetrics } from './device-model.js';

/**
 * The device model of any catalogue type without a hand-written one: it reports every
 * `reportEvery`; a reading shows the type's activity with the catalogue's `active.chance` (inside
 * its local `hours`); while an incident affects the device it sends the catalogue's alarm reading
 * every `alarm.reportEvery` (a silent-meter incident is not an alarm: the simulation drops what a
 * silent device sends). No daily rhythm beyond the hours and no household effects: those need a
 * hand-written model, as the water meter has.
 */
export function catalogueDeviceModel(type: string): DeviceModel<CatalogueReadingState> {
  const readings = CatalogueReadings.of(type);
  const { spec } = readings;
  const { active, alarm } = spec.simulation;
  const alarmed = (effect: DeviceEffect | undefined, atMs: number): boolean =>
    alarm !== undefined && isUnder(effect, atMs) && effect.kind !== 'meter_silent';

  return {
    type,
    reportEveryMs: spec.reportEveryMs,
    reportsOnEvent: spec.reportsOnEvent,

    init(_profile: DeviceProfile, rng: Rng): CatalogueReadingState {
      return readings.init(rng);
    },

    next(state, profile, fromMs, toMs, rng, effect): SimMetrics {
      let mode: ReadingMode = 'normal';
      if (alarmed(effect, toMs)) {
        mode = 'alarm';
      } else if (active) {
        // Drawn on every reading, inside the hours or not, so the stream stays aligned either way.
        const shows = rng.chance(active.chance);
        if (shows && (active.hours === undefined || within(localTime(profile.timeZone, toMs).hour, active.hours))) mode = 'active';
      }
      return readings.reading(state, mode, toMs - fromMs, rng);
    },

    nextDueAt(_state, toMs, effect): number {
      return toMs + (alarmed(effect, toMs) ? alarm!.reportEveryMs : spec.reportEveryMs);
    },
  };
}

/** `hour` inside [from, to); a window with from > to wraps midnight (22:00–06:00). */
function within(hour: number, hours: { from: number; to: number }): boolean {
  return hours.from <= hours.to ? hour >= hours.from && hour < hours.to : hour >= hours.from || hour < hours.to;
}
