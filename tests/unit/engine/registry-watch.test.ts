import { describe, expect, it } from 'vitest';
import type { ScenarioModel } from '../../../src/contracts/model.js';
import type { DeviceContext } from '../../../src/contracts/registry.js';
import { RegistryWatch } from '../../../src/engine/registry-watch.js';
import type { CompiledScenario } from '../../../src/scenarios/compile.js';
import { makeContext } from '../../helpers/device-context.js';

function scenario(watchable: boolean, holding: Set<string>, watched: string[]): CompiledScenario {
  const model = {
    onReading: () => undefined, size: 0, snapshot: () => [], restore: () => 0, dispose: () => undefined,
    takeChanged: () => ({ length: 0, read: () => undefined, putBack: () => undefined }),
    ...(watchable ? { watch: (ctx: DeviceContext, since: number) => {
      if (holding.has(ctx.device.id)) return false;
      watched.push(`${ctx.device.id}@${since}`);
      return true;
    } } : {}),
  } as ScenarioModel;
  return { scenario: {} as CompiledScenario['scenario'], appliesTo: (ctx) => ctx.device.type === 'water_meter', model };
}

const devices = (n: number) => Array.from({ length: n }, (_, i) => makeContext({ deviceId: `wm-${i}`, type: i % 5 === 4 ? 'smoke_detector' : 'water_meter' }));

describe('RegistryWatch', () => {
  it('hands every device the scenario applies to, without state, to the models that watch, from the engine start, in slices', async () => {
    const watched: string[] = [];
    const yields: Array<() => void> = [];
    const watch = new RegistryWatch({
      compiled: [scenario(true, new Set(['wm-1']), watched), scenario(false, new Set(), [])],
      devices: devices(10).values(), since: 500, now: () => 0, maxDevices: 4, yieldTo: (next) => yields.push(next),
    });
    watch.start();
    expect(watched).toEqual(['wm-0@500', 'wm-2@500', 'wm-3@500']); // first slice at once; wm-1 holds state
    while (yields.length > 0) yields.shift()!();
    await watch.done;
    expect(watched).toEqual(['wm-0@500', 'wm-2@500', 'wm-3@500', 'wm-5@500', 'wm-6@500', 'wm-7@500', 'wm-8@500']); // smoke detectors do not apply
    expect(watch.watched).toBe(7);
  });

  it('stops between slices', async () => {
    const watched: string[] = [];
    const yields: Array<() => void> = [];
    const watch = new RegistryWatch({ compiled: [scenario(true, new Set(), watched)], devices: devices(10).values(), since: 0, now: () => 0, maxDevices: 2, yieldTo: (next) => yields.push(next) });
    watch.start();
    watch.stop();
    while (yields.length > 0) yields.shift()!();
    await watch.done;
    expect(watched).toHaveLength(2);
  });
});
