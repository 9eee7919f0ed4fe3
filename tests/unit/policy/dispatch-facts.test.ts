import { describe, expect, it } from 'vitest';
import { DISPATCH_FACT_NAMES, DISPATCH_FACT_SPECS, dispatchFacts, localClock } from '../../../src/policy/dispatch-facts.js';
import { isPersonalLookingKey } from '../../../src/registry/personal-data.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { makeContext } from '../../helpers/device-context.js';
import { makeAlert } from '../../helpers/store-fixtures.js';

const registry = loadRegistryFile('registry/demo.yaml');

/** An instant given as wall-clock time in Asia/Shanghai (UTC+8, no DST). */
function shanghai(date: string, time: string): number {
  return Date.parse(`${date}T${time}:00+08:00`);
}

function factsOf(deviceId: string, at: number, extra: { openOrdersOfSubject?: number; rejectedBy?: string[] } = {}) {
  const ctx = registry.context(deviceId)!;
  const alert = makeAlert({ deviceId, level: 'orange', scenarioId: 'elderly-no-water', category: 'elderly_care', subjectId: ctx.subject?.id });
  return dispatchFacts({ alert, ctx, at, openOrdersOfSubject: extra.openOrdersOfSubject ?? 0, rejectedBy: extra.rejectedBy ?? [] });
}

/** Every key anywhere in a JSON-like value. */
function keysDeep(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) keysDeep(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      into.push(key);
      keysDeep(child, into);
    }
  }
  return into;
}

describe('dispatchFacts', () => {
  it('describes the alert, the device, its household and its place (demo registry)', () => {
    const facts = factsOf('wm-0005', shanghai('2026-11-18', '10:30'), { openOrdersOfSubject: 2, rejectedBy: ['gr-yg-01'] });
    expect(facts).toEqual({
      level: 'orange',
      levelRank: 3,
      scenarioId: 'elderly-no-water',
      category: 'elderly_care',
      deviceType: 'water_meter',
      subject: {
        id: 'hh-0005', kind: 'household', livingAlone: true, age: 76, tags: ['elderly', 'living_alone', 'key_care'],
        attributes: { building: '2', floor: 6, hasElevator: true, pipedGas: true },
      },
      place: { id: 'gr-yg-01', kind: 'grid', gridId: 'gr-yg-01', communityId: 'cm-yangguang', streetId: 'st-xinhua' },
      localHour: 10,
      localMinutes: 630,
      weekday: 3, // Wednesday
      workingDay: true,
      openOrdersOfSubject: 2,
      rejectedBy: ['gr-yg-01'],
    });
  });

  it('carries no personal data: no personal key, and no personal value, anywhere', () => {
    const ctx = registry.context('wm-0005')!;
    expect(ctx.subject!.personal?.phone).toBeTruthy(); // the registry does hold it
    const facts = factsOf('wm-0005', shanghai('2026-11-18', '23:00'));
    expect(keysDeep(facts).filter(isPersonalLookingKey)).toEqual([]);
    expect(keysDeep(facts)).not.toContain('personal');
    const text = JSON.stringify(facts);
    const secrets = [...Object.values(ctx.subject!.personal!), ctx.grid!.responsible!.person!, ctx.grid!.responsible!.phone!];
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('reads the local time at the place: Asia/Shanghai is UTC+8', () => {
    // 15:05 UTC is 23:05 in Shanghai, still Wednesday there; 16:30 UTC is 00:30 on Thursday.
    const late = factsOf('wm-0005', Date.UTC(2026, 10, 18, 15, 5));
    expect([late.localHour, late.localMinutes, late.weekday]).toEqual([23, 23 * 60 + 5, 3]);
    const afterMidnight = factsOf('wm-0005', Date.UTC(2026, 10, 18, 16, 30));
    expect([afterMidnight.localHour, afterMidnight.localMinutes, afterMidnight.weekday]).toEqual([0, 30, 4]);
  });

  it("follows another place's time zone, including a DST change", () => {
    const ctx = makeContext({ deviceId: 'wm-1', type: 'water_meter', timeZone: 'Europe/Berlin' });
    const alert = makeAlert({ deviceId: 'wm-1' });
    const at = (iso: string) => dispatchFacts({ alert, ctx, at: Date.parse(iso), openOrdersOfSubject: 0, rejectedBy: [] });
    expect(at('2026-01-15T22:00:00Z').localHour).toBe(23); // CET, UTC+1
    expect(at('2026-07-15T22:00:00Z').localHour).toBe(0); // CEST, UTC+2: already the next day
    expect(at('2026-07-15T22:00:00Z').weekday).toBe(4);
    expect(localClock(Date.parse('2026-07-15T22:00:00Z'), 'Asia/Shanghai')).toEqual({ hour: 6, minute: 0, weekday: 4 });
  });

  it('reads the local clock once per zone and minute, and is right on both sides of every boundary', () => {
    const at = (iso: string) => localClock(Date.parse(iso), 'Asia/Shanghai');
    expect(at('2026-11-20T15:59:00.000Z')).toEqual({ hour: 23, minute: 59, weekday: 5 }); // Friday 23:59 in Shanghai
    expect(at('2026-11-20T15:59:59.999Z')).toBe(at('2026-11-20T15:59:30.000Z')); // same minute: the cached answer
    expect(at('2026-11-20T16:00:00.000Z')).toEqual({ hour: 0, minute: 0, weekday: 6 }); // Saturday 00:00
    expect(localClock(Date.parse('2026-11-20T16:00:00.000Z'), 'Europe/Berlin')).toEqual({ hour: 17, minute: 0, weekday: 5 }); // another zone, same minute
    expect(at('2026-11-20T15:59:10.000Z')).toEqual({ hour: 23, minute: 59, weekday: 5 }); // back again: re-read, not stale
    const workingDay = (iso: string) => dispatchFacts({ alert: makeAlert({ deviceId: 'wm-1' }), ctx: makeContext({ deviceId: 'wm-1', type: 'water_meter', timeZone: 'Asia/Shanghai' }), at: Date.parse(iso), openOrdersOfSubject: 0, rejectedBy: [] }).workingDay;
    expect(workingDay('2026-11-20T15:59:59.000Z')).toBe(true); // Friday night
    expect(workingDay('2026-11-20T16:00:01.000Z')).toBe(false); // Saturday, a second later
  });

  it('knows the Chinese working-day calendar: weekends, public holidays and adjusted working days (调休)', () => {
    const workingDay = (date: string) => factsOf('wm-0005', shanghai(date, '10:00')).workingDay;
    expect(workingDay('2026-11-18')).toBe(true); // an ordinary Wednesday
    expect(workingDay('2026-11-21')).toBe(false); // an ordinary Saturday
    expect(workingDay('2026-10-01')).toBe(false); // National Day, a Thursday
    expect(workingDay('2026-09-20')).toBe(true); // a Sunday worked before National Day (调休)
    expect(workingDay('2026-10-10')).toBe(true); // a Saturday worked after it (调休)
    expect(factsOf('wm-0005', shanghai('2026-09-20', '10:00')).weekday).toBe(7);
    // The calendar date is the place's: 17:00 UTC on Saturday 19 Sept is 01:00 on Sunday 20 Sept in Shanghai.
    expect(factsOf('wm-0005', Date.UTC(2026, 8, 19, 17, 0)).workingDay).toBe(true);
  });

  it('gives a device without a household neutral subject facts', () => {
    const ctx = makeContext({ deviceId: 'sd-stairwell', type: 'smoke_detector' });
    const facts = dispatchFacts({ alert: makeAlert({ deviceId: 'sd-stairwell' }), ctx, at: shanghai('2026-11-18', '10:00'), openOrdersOfSubject: 0, rejectedBy: [] });
    expect(facts.subject).toEqual({ id: null, kind: null, livingAlone: false, age: null, tags: [], attributes: {} });
    expect(facts.deviceType).toBe('smoke_detector');
  });

  it('does not hand out the registry\'s own arrays (a rule engine must not be able to change the registry)', () => {
    const ctx = registry.context('wm-0005')!;
    const rejectedBy = ['gr-yg-01'];
    const facts = dispatchFacts({ alert: makeAlert(), ctx, at: 0, openOrdersOfSubject: 0, rejectedBy });
    expect(facts.subject.tags).not.toBe(ctx.subject!.tags);
    expect(facts.rejectedBy).not.toBe(rejectedBy);
  });

  it('builds exactly the facts the policy loader knows (DISPATCH_FACT_SPECS)', () => {
    const facts = factsOf('wm-0005', 0);
    expect(Object.keys(facts).sort()).toEqual([...DISPATCH_FACT_NAMES].sort());
    expect(Object.keys(facts.subject).sort()).toEqual(Object.keys(DISPATCH_FACT_SPECS.subject.fields).sort());
    expect(Object.keys(facts.place).sort()).toEqual(Object.keys(DISPATCH_FACT_SPECS.place.fields).sort());
  });
});
