import { describe, expect, it } from 'vitest';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { compileContextPredicate } from '../../../src/core/expression.js';
import { redactPersonal } from '../../../src/registry/personal-data.js';
import { Registry, type RegistryData } from '../../../src/registry/registry.js';

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected an error');
}

const PERSONAL = { name: 'Fake Resident', phone: '+86 000 0000 4242', idNumber: 'DEMO-ID-4242', address: 'Fake Road 1' };

function data(): RegistryData {
  return {
    places: [
      { id: 'st', kind: 'street', name: 'Street' },
      { id: 'cm-a', kind: 'community', name: 'Community A', parentId: 'st', responsible: { office: 'A office', person: 'Duty A', phone: '+86 000 1' } },
      { id: 'cm-b', kind: 'community', name: 'Community B', parentId: 'st' },
      { id: 'gr-a1', kind: 'grid', name: 'Grid A1', parentId: 'cm-a' },
      { id: 'gr-b1', kind: 'grid', name: 'Grid B1', parentId: 'cm-b' },
    ],
    subjects: [
      { id: 'hh-old', kind: 'household', placeId: 'gr-a1', livingAlone: true, age: 82, tags: ['elderly'], attributes: { floor: 5 }, personal: PERSONAL },
      { id: 'hh-young', kind: 'household', placeId: 'gr-b1', age: 35 },
    ],
    devices: [
      { id: 'wm-old', type: 'water_meter', subjectId: 'hh-old', reportEveryMs: 900_000 },
      { id: 'ds-old', type: 'door_sensor', subjectId: 'hh-old' },
      { id: 'wm-young', type: 'water_meter', subjectId: 'hh-young' },
      { id: 'sd-hall', type: 'smoke_detector', placeId: 'cm-a' },
    ],
  };
}

describe('Registry.context', () => {
  it('resolves the place chain once and returns the same frozen object afterwards', () => {
    const registry = new Registry(data());
    const ctx = registry.context('wm-old')!;
    expect(registry.context('wm-old')).toBe(ctx);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(Object.isFrozen(ctx.celView.subject)).toBe(true);
    expect([ctx.place.id, ctx.grid?.id, ctx.community?.id, ctx.street?.id]).toEqual(['gr-a1', 'gr-a1', 'cm-a', 'st']);
    expect(ctx.device).toEqual({ id: 'wm-old', type: 'water_meter', subjectId: 'hh-old', placeId: 'gr-a1', reportEveryMs: 900_000 });
    expect(ctx.subject?.personal).toEqual(PERSONAL); // dispatch orders need it
    expect(registry.context('nope')).toBeUndefined();
  });

  it('builds a CEL view without personal data', () => {
    const ctx = new Registry(data()).context('wm-old')!;
    expect(ctx.celView).toEqual({
      device: { id: 'wm-old', type: 'water_meter', subjectId: 'hh-old', placeId: 'gr-a1', reportEveryMs: 900_000 },
      subject: { id: 'hh-old', kind: 'household', livingAlone: true, age: 82, tags: ['elderly'], attributes: { floor: 5 } },
      place: { id: 'gr-a1', name: 'Grid A1', kind: 'grid', gridId: 'gr-a1', communityId: 'cm-a', streetId: 'st' },
    });
    const json = JSON.stringify(ctx.celView);
    for (const value of Object.values(PERSONAL)) expect(json).not.toContain(value);
    expect(json).not.toContain('Duty A');
  });

  it('serves scenario filters written in CEL', () => {
    const registry = new Registry(data());
    const elderlyAlone = compileContextPredicate('subject.livingAlone && subject.age >= 70 && place.communityId == "cm-a"');
    expect(elderlyAlone(registry.context('wm-old')!)).toBe(true);
    expect(elderlyAlone(registry.context('wm-young')!)).toBe(false);
    expect(elderlyAlone(registry.context('sd-hall')!)).toBe(false); // no subject: an empty view, never an exception
  });

  it('places a device without subject at its own place', () => {
    const ctx = new Registry(data()).context('sd-hall')!;
    expect(ctx.subject).toBeUndefined();
    expect(ctx.grid).toBeUndefined();
    expect([ctx.place.id, ctx.community?.id, ctx.street?.id]).toEqual(['cm-a', 'cm-a', 'st']);
    expect(ctx.celView.subject).toEqual({});
    expect(ctx.celView.place).toEqual({ id: 'cm-a', name: 'Community A', kind: 'community', communityId: 'cm-a', streetId: 'st' });
  });

  it('counts and lists', () => {
    const registry = new Registry(data());
    expect(registry.counts()).toEqual({ places: 5, subjects: 2, devices: 4 });
    expect(registry.devices().map((d) => d.id)).toEqual(['wm-old', 'ds-old', 'wm-young', 'sd-hall']);
    expect(registry.devicesOfSubject('hh-old').sort()).toEqual(['ds-old', 'wm-old']);
  });
});

describe('Registry upserts invalidate exactly the affected contexts', () => {
  it('upsertSubject: its devices see the new data, others keep their cached context', () => {
    const registry = new Registry(data());
    const before = registry.context('wm-old')!;
    const other = registry.context('wm-young')!;
    registry.upsertSubject({ id: 'hh-old', kind: 'household', placeId: 'gr-b1', livingAlone: false, age: 83, personal: PERSONAL });
    const after = registry.context('wm-old')!;
    expect(after).not.toBe(before);
    expect(after.celView.subject).toMatchObject({ age: 83, livingAlone: false });
    // The device had no place of its own: it moves with its household.
    expect([after.device.placeId, after.grid?.id, after.community?.id]).toEqual(['gr-b1', 'gr-b1', 'cm-b']);
    expect(registry.context('ds-old')!.celView.subject).toMatchObject({ age: 83 });
    expect(registry.context('wm-young')).toBe(other);
  });

  it('upsertPlace: renames and time zones reach every device below the place', () => {
    const registry = new Registry(data());
    const inA = registry.context('wm-old')!;
    const hall = registry.context('sd-hall')!;
    const inB = registry.context('wm-young')!;
    registry.upsertPlace({ id: 'cm-a', kind: 'community', name: 'Community A (renamed)', parentId: 'st', timeZone: 'Asia/Urumqi' });
    expect(registry.context('wm-old')).not.toBe(inA);
    expect(registry.context('wm-old')!.community?.name).toBe('Community A (renamed)');
    expect(registry.context('wm-old')!.timeZone).toBe('Asia/Urumqi'); // inherited by grid gr-a1
    expect(registry.context('sd-hall')).not.toBe(hall);
    expect(registry.context('wm-young')).toBe(inB);
    expect(registry.place('gr-a1')!.timeZone).toBe('Asia/Urumqi');
  });

  it('upsertPlace: moving a grid to another community updates the chain', () => {
    const registry = new Registry(data());
    registry.context('wm-old');
    registry.upsertPlace({ id: 'gr-a1', kind: 'grid', name: 'Grid A1', parentId: 'cm-b' });
    expect(registry.context('wm-old')!.community?.id).toBe('cm-b');
    expect(registry.context('wm-old')!.celView.place).toMatchObject({ communityId: 'cm-b' });
  });

  it('upsertPlace refuses to break the hierarchy and leaves the registry as it was', () => {
    const registry = new Registry(data());
    const err = rejection(() => registry.upsertPlace({ id: 'gr-a1', kind: 'community', name: 'Grid A1', parentId: 'st' }));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ rule: 'hierarchy', id: 'gr-a1' });
    expect(registry.place('gr-a1')!.kind).toBe('grid');
    expect(rejection(() => registry.upsertPlace({ id: 'cm-a', kind: 'community', name: 'A', parentId: 'gr-a1' })).details).toMatchObject({ rule: 'cycle' });
    expect(rejection(() => registry.upsertPlace({ id: 'x', kind: 'grid', name: 'X', parentId: 'nowhere' })).details).toMatchObject({ rule: 'unknown-reference' });
    expect(registry.place('x')).toBeUndefined();
    expect(registry.place('cm-a')!.parentId).toBe('st');
  });

  it('upsertDevice and removeDevice', () => {
    const registry = new Registry(data());
    const before = registry.context('wm-young')!;
    registry.upsertDevice({ id: 'wm-young', type: 'water_meter', subjectId: 'hh-old' });
    expect(registry.context('wm-young')).not.toBe(before);
    expect(registry.context('wm-young')!.subject?.id).toBe('hh-old');
    expect(registry.devicesOfSubject('hh-young')).toEqual([]);
    expect(registry.devicesOfSubject('hh-old')).toContain('wm-young');

    registry.upsertDevice({ id: 'gd-new', type: 'gas_detector', subjectId: 'hh-young' });
    expect(registry.context('gd-new')!.grid?.id).toBe('gr-b1');
    expect(registry.counts().devices).toBe(5);

    expect(registry.removeDevice('gd-new')).toBe(true);
    expect(registry.removeDevice('gd-new')).toBe(false);
    expect(registry.context('gd-new')).toBeUndefined();
    expect(registry.devicesOfSubject('hh-young')).toEqual([]);
  });

  it('validates upserts with coded errors', () => {
    const registry = new Registry(data());
    const cases: [() => unknown, string][] = [
      [() => registry.upsertDevice({ id: 'wm-x', type: 'water_meter', subjectId: 'hh-none' }), 'unknown-reference'],
      [() => registry.upsertDevice({ id: 'wm-x', type: 'water_meter' }), 'unknown-reference'],
      [() => registry.upsertDevice({ id: 'wm/x', type: 'water_meter', placeId: 'gr-a1' }), 'invalid-value'],
      [() => registry.upsertDevice({ id: 'wm-x', type: 'toaster' as never, placeId: 'gr-a1' }), 'invalid-value'],
      [() => registry.upsertSubject({ id: 'hh-x', kind: 'household', placeId: 'cm-a' }), 'hierarchy'],
      [() => registry.upsertSubject({ id: 'hh-x', kind: 'household', placeId: 'gr-a1', attributes: { mobile: '1' } }), 'personal-data'],
      [() => registry.upsertPlace({ id: 'gr-x', kind: 'grid', name: 'X', parentId: 'cm-a', timeZone: 'Nowhere/Town' }), 'time-zone'],
    ];
    for (const [attempt, rule] of cases) {
      const err = rejection(attempt);
      expect(err.code).toBe('ERR_REGISTRY_INVALID');
      expect(err.details?.rule).toBe(rule);
    }
    expect(registry.counts()).toEqual({ places: 5, subjects: 2, devices: 4 });
  });

  it('copies and freezes what it is given', () => {
    const attributes = { floor: 2, notes: { stairs: true } };
    const registry = new Registry(data());
    registry.upsertSubject({ id: 'hh-new', kind: 'person', placeId: 'gr-b1', attributes });
    attributes.notes.stairs = false;
    expect(registry.subject('hh-new')!.attributes).toEqual({ floor: 2, notes: { stairs: true } });
    expect(Object.isFrozen((registry.subject('hh-new')!.attributes as { notes: object }).notes)).toBe(true);
  });
});

describe('redactPersonal', () => {
  it('drops the personal block and nothing else', () => {
    const subject = new Registry(data()).subject('hh-old')!;
    const redacted = redactPersonal(subject);
    expect('personal' in redacted).toBe(false);
    expect(redacted).toMatchObject({ id: 'hh-old', age: 82, livingAlone: true });
    expect(subject.personal).toEqual(PERSONAL);
  });
});
