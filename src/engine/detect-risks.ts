import { Observable, type OperatorFunction } from 'rxjs';
import type { Detection } from '../contracts/detection.js';
import type { DeviceContext, EnrichedReading } from '../contracts/registry.js';
import type { CompiledScenario } from '../scenarios/compile.js';

/**
 * Runs every applicable scenario on each reading. Which scenarios apply to a device is decided once
 * per device context (WeakMap: a registry edit creates a new context and so a fresh decision), so
 * the per-reading cost is one lookup plus the models' own work. Where no scenario of a device type
 * has a subject filter (`appliesTo.when`), the type alone decides (compile.ts: appliesTo is "type
 * listed, and `when` holds"), and its readings skip the per-device lookup: a hash lookup per reading
 * is a cache miss per reading in a city-sized fleet (replay profile); a context the registry
 * numbered (`deviceNo`) finds its list in an array slot. Detections come out of the
 * same stream, whether a reading or a model timer caused them.
 */
const NONE: readonly CompiledScenario[] = [];

export function detectRisks(
  scenarios: readonly CompiledScenario[],
  /** What the models emit (they are compiled with `emit` feeding this stream). */
  modelOutput: Observable<Detection>,
  onStageError: (err: Error) => void,
): OperatorFunction<EnrichedReading, Detection> {
  return (readings) =>
    new Observable<Detection>((subscriber) => {
      const applicable = new WeakMap<DeviceContext, readonly CompiledScenario[]>();
      // Most devices share their list with thousands of others (same type, same filters): one
      // array per distinct list, not one per device.
      const interned = new Map<string, readonly CompiledScenario[]>();
      const listFor = (ctx: DeviceContext): readonly CompiledScenario[] => {
        const indexes: number[] = [];
        for (let i = 0; i < scenarios.length; i++) if (scenarios[i]!.appliesTo(ctx)) indexes.push(i);
        const key = indexes.join(',');
        let list = interned.get(key);
        if (list === undefined) {
          list = indexes.map((i) => scenarios[i]!);
          interned.set(key, list);
        }
        return list;
      };
      // Per device type: its one list when the type decides alone, null when a subject filter does.
      const byType = new Map<string, readonly CompiledScenario[] | null>();
      const typeList = (ctx: DeviceContext): readonly CompiledScenario[] | null => {
        const type = ctx.device.type;
        const filtered = scenarios.some((s) => s.scenario.appliesTo.when !== undefined && s.scenario.appliesTo.deviceTypes.includes(type));
        const list = filtered ? null : listFor(ctx);
        byType.set(type, list);
        return list;
      };
      const decide = (ctx: DeviceContext): readonly CompiledScenario[] => {
        let list = byType.get(ctx.device.type);
        if (list === undefined) list = typeList(ctx);
        if (list === null) {
          list = applicable.get(ctx);
          if (list === undefined) {
            list = listFor(ctx);
            applicable.set(ctx, list);
          }
        }
        return list;
      };
      // The decision again by the device's dense number (DeviceContext.deviceNo), kept with the
      // context it was made for, side by side in one array ([ctx, list, ctx, list, …]): one cache
      // line per reading, where the type's hash lookup and a WeakMap lookup per device cost cache
      // misses (replay profile). A new context of the device (a registry edit) misses and decides afresh.
      const byNumber: (DeviceContext | readonly CompiledScenario[] | undefined)[] = [];
      const output = modelOutput.subscribe(subscriber);
      const subscription = readings.subscribe({
        next(reading) {
          const ctx = reading.ctx;
          // The reading's copy of the number: the context itself is only compared, not read.
          const no = reading.deviceNo !== undefined ? reading.deviceNo : ctx.deviceNo;
          let list: readonly CompiledScenario[];
          if (no !== undefined && byNumber[2 * no] === ctx) list = byNumber[2 * no + 1] as readonly CompiledScenario[];
          else {
            list = decide(ctx);
            if (no !== undefined) {
              while (byNumber.length <= 2 * no) byNumber.push(undefined, NONE);
              byNumber[2 * no] = ctx;
              byNumber[2 * no + 1] = list;
            }
          }
          for (let i = 0; i < list.length; i++) {
            try {
              list[i]!.model.onReading(reading);
            } catch (err) {
              // One scenario's bug must not stop the others or the stream.
              onStageError(err as Error);
            }
          }
        },
        error: (err) => subscriber.error(err),
        // The models' timers keep producing after the readings end (replay): complete is left to the owner.
      });
      return () => {
        subscription.unsubscribe();
        output.unsubscribe();
      };
    });
}
