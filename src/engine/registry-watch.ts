import type { DeviceContext } from '../contracts/registry.js';
import type { CompiledScenario } from '../scenarios/compile.js';

export interface RegistryWatchOptions {
  compiled: readonly CompiledScenario[];
  /** Every device's context, one at a time (built lazily: a million contexts cost seconds). */
  devices: Iterator<DeviceContext>;
  /** The engine's start: every device never heard from counts its silence from here. */
  since: number;
  now(): number;
  /** Engine-clock ms one slice may spend (on a virtual clock only `maxDevices` applies). */
  maxMs?: number;
  maxDevices?: number;
  /** Runs `next` in a later turn of the event loop (default `setImmediate`). */
  yieldTo?(next: () => void): void;
}

/**
 * Every device the registry lists, handed to the models that report silence (offline) so that a
 * device never heard from is reported like one that stopped: each starts counting from `since`,
 * the engine's start, unless it holds state already (restored from a checkpoint, or a message came
 * first). Safety first: a meter installed dead, or whose first message was lost, is a silent meter.
 *
 * The walk goes in slices of 5 ms, yielding in between (building a million device contexts takes
 * ~4 s here): the first slice runs at once, so a small registry is watched before the engine takes
 * input; a large one finishes within seconds of the start, long before any silence counted from the
 * start can reach a level. A device whose message arrives first holds state and is skipped.
 *
 * Lifecycle: new → start() → (slices) → done, or stop().
 */
export class RegistryWatch {
  /** Devices that started counting from `since`. */
  watched = 0;
  private stopped = false;
  private finished = false;
  private readonly watching: CompiledScenario[];
  private readonly yieldTo: (next: () => void) => void;
  private readonly ended: Promise<void>;
  private end!: () => void;

  constructor(private readonly options: RegistryWatchOptions) {
    this.watching = options.compiled.filter((c) => c.model.watch !== undefined);
    this.yieldTo = options.yieldTo ?? ((next) => setImmediate(next));
    this.ended = new Promise((resolve) => (this.end = resolve));
  }

  /** Resolves once every device was handed over (or the watch stopped). */
  get done(): Promise<void> {
    return this.ended;
  }

  start(): void {
    if (this.watching.length === 0) this.finish();
    else this.slice();
  }

  stop(): void {
    this.stopped = true;
    this.finish();
  }

  private readonly slice = (): void => {
    if (this.stopped) return;
    const { devices, since, now } = this.options;
    const deadline = now() + (this.options.maxMs ?? 5);
    const maxDevices = this.options.maxDevices ?? 20_000;
    for (let n = 1; ; n++) {
      const next = devices.next();
      if (next.done) return this.finish();
      const ctx = next.value;
      let counting = false;
      for (const c of this.watching) {
        if (c.appliesTo(ctx) && c.model.watch!(ctx, since)) counting = true;
      }
      if (counting) this.watched++;
      if (n >= maxDevices || ((n & 255) === 0 && now() >= deadline)) break;
    }
    this.yieldTo(this.slice);
  };

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.end();
  }
}
