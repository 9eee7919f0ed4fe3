import type { Metrics } from '../../src/contracts/reading.js';
import type { Device, DeviceContext, DeviceType, EnrichedReading, Place, Subject } from '../../src/contracts/registry.js';

/**
 * Fixtures for registry contexts and enriched readings, shaped as the registry builds them: a
 * device in a grid ⊂ community ⊂ street, optionally a subject, and the CEL view without personal data.
 */

export interface SubjectOptions extends Partial<Omit<Subject, 'id'>> {
  id: string;
}

export interface ContextOptions {
  deviceId: string;
  type: DeviceType;
  /** Omit for a device that belongs to no household (a stairwell smoke detector). */
  subject?: SubjectOptions;
  /** IANA zone of every place in the fixture; default Asia/Shanghai. */
  timeZone?: string;
  /** Default `grid-1` (in `community-1`, in `street-1`). */
  gridId?: string;
  reportEveryMs?: number;
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export function makeSubject(options: SubjectOptions, placeId = 'grid-1'): Subject {
  return {
    kind: 'household',
    placeId,
    livingAlone: false,
    tags: [],
    attributes: {},
    ...options,
  };
}

/** A DeviceContext as the registry resolves it, including the CEL view (never personal data). */
export function makeContext(options: ContextOptions): DeviceContext {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const gridId = options.gridId ?? 'grid-1';
  const street: Place = { id: 'street-1', kind: 'street', name: 'Street 1', timeZone };
  const community: Place = { id: 'community-1', kind: 'community', name: 'Community 1', parentId: street.id, timeZone };
  const grid: Place = { id: gridId, kind: 'grid', name: `Grid ${gridId}`, parentId: community.id, timeZone };
  const subject = options.subject ? makeSubject(options.subject, grid.id) : undefined;
  const device: Device = { id: options.deviceId, type: options.type, placeId: grid.id };
  if (subject) device.subjectId = subject.id;
  if (options.reportEveryMs !== undefined) device.reportEveryMs = options.reportEveryMs;
  const subjectView: Record<string, unknown> = subject
    ? {
        id: subject.id, kind: subject.kind, placeId: subject.placeId, livingAlone: subject.livingAlone,
        tags: subject.tags, attributes: subject.attributes, ...(subject.age === undefined ? {} : { age: subject.age }),
      }
    : {};
  const ctx: DeviceContext = {
    device,
    place: grid,
    grid,
    community,
    street,
    timeZone,
    celView: {
      device: { ...device },
      subject: subjectView,
      place: { id: grid.id, kind: grid.kind, name: grid.name, timeZone, gridId: grid.id, communityId: community.id, streetId: street.id },
    },
  };
  if (subject) ctx.subject = subject;
  return ctx;
}

/** A reading of `ctx`'s device at event time `ts` (received at `receivedAt`, default the same instant). */
export function makeReading(ctx: DeviceContext, ts: number, metrics: Metrics, receivedAt = ts): EnrichedReading {
  return { deviceId: ctx.device.id, ts, receivedAt, metrics, ctx };
}
