import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { findPersonalLookingKey, isPersonalLookingKey, PERSONAL_FIELD_PATHS } from '../../../src/registry/personal-data.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';

describe('personal-looking keys', () => {
  it('recognises the usual spellings and leaves look-alikes alone', () => {
    for (const key of ['name', 'Name', 'full_name', 'phone', 'PhoneNumber', 'mobile', 'tel', 'idNumber', 'id_number', 'ID-Card', 'address', 'home_address']) {
      expect(isPersonalLookingKey(key)).toBe(true);
    }
    for (const key of ['buildingName', 'floor', 'id', 'addressable', 'phones_count', 'livingAlone']) {
      expect(isPersonalLookingKey(key)).toBe(false);
    }
  });

  it('finds them in nested objects and arrays, skipping the allowed block', () => {
    expect(findPersonalLookingKey({ a: [{ b: 1 }, { c: { Tel: 'x' } }] })).toEqual(['a', 1, 'c', 'Tel']);
    expect(findPersonalLookingKey({ personal: { name: 'x' }, floor: 1 }, new Set(['personal']))).toBeUndefined();
  });
});

describe('PERSONAL_FIELD_PATHS with pino', () => {
  it('keeps residents and duty staff out of the log, whatever object is logged', () => {
    const registry = loadRegistryFile('registry/demo.yaml');
    const ctx = registry.context('wm-0003')!;
    const chunks: string[] = [];
    const sink = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
    const log = pino({ redact: { paths: [...PERSONAL_FIELD_PATHS], censor: '[personal]' } }, sink);

    log.info({ ctx }, 'context');
    log.info({ reading: { deviceId: 'wm-0003', ctx } }, 'reading');
    log.info({ readings: [{ ctx }] }, 'batch');
    log.info({ subject: ctx.subject }, 'subject');
    log.info({ order: { assignee: { person: ctx.grid!.responsible!.person, phone: ctx.grid!.responsible!.phone }, subject: { contact: ctx.subject!.personal } } }, 'order');

    const output = chunks.join('');
    expect(chunks).toHaveLength(5);
    expect(output).toContain('wm-0003'); // still useful
    expect(output).toContain('[personal]');
    const secrets = [...Object.values(ctx.subject!.personal!), ctx.grid!.responsible!.person!, ctx.grid!.responsible!.phone!, ctx.street!.responsible!.phone!];
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
