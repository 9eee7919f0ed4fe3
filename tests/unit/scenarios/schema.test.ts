import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { isDuration, parseDuration } from '../../../src/core/duration.js';
import { DURATION_PATTERN, SCENARIO_DEFAULTS, TIME_OF_DAY_PATTERN, scenarioSchema } from '../../../src/scenarios/schema.js';

describe('scenario JSON Schema', () => {
  it('is published unchanged in schemas/scenario.schema.json', () => {
    const published: unknown = JSON.parse(readFileSync('schemas/scenario.schema.json', 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(scenarioSchema)));
  });

  it('compiles under ajv strict mode as draft 2020-12 with an $id', () => {
    const ajv = new Ajv2020({ strict: true, strictTypes: true, logger: false });
    expect(() => ajv.compile(scenarioSchema)).not.toThrow();
    expect(scenarioSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(scenarioSchema.$id).toMatch(/^[a-z]+:/);
  });

  it('describes every field, including nested ones and those of each model branch', () => {
    const undocumented: string[] = [];
    const visit = (schema: unknown, where: string) => {
      if (typeof schema !== 'object' || schema === null) return; // `false`: a field switched off for a model
      const s = schema as Record<string, unknown>;
      for (const [name, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
        if (child === false) continue;
        if (typeof (child as { description?: unknown }).description !== 'string') undocumented.push(`${where}.${name}`);
        visit(child, `${where}.${name}`);
      }
      if (s.items) visit(s.items, `${where}[]`);
      for (const [i, branch] of ((s.allOf as { then: unknown }[]) ?? []).entries()) visit(branch.then, `${where}.allOf[${i}]`);
      for (const [name, def] of Object.entries((s.$defs as Record<string, unknown>) ?? {})) {
        if (typeof (def as { description?: unknown }).description !== 'string') undocumented.push(`$defs.${name}`);
      }
    };
    visit(scenarioSchema, '');
    expect(undocumented).toEqual([]);
    // Sanity: the walk did reach the deep fields.
    expect(scenarioSchema.properties.alert.properties.flapping.properties.window.description).toBeTypeOf('string');
  });

  it('accepts exactly the durations that core/duration.ts parses', () => {
    const pattern = new RegExp(DURATION_PATTERN, 'u');
    const samples = ['500ms', '90s', '15m', '8h', '1h30m', '3d', '1w', '1.5h', '0s', '2h0m', '8', '8 h', '1m30', 'h', '', '-5m', '1y', '5min', ' 8h'];
    for (const sample of samples) expect([sample, pattern.test(sample)]).toEqual([sample, isDuration(sample)]);
    expect(samples.filter((s) => pattern.test(s))).toEqual(['500ms', '90s', '15m', '8h', '1h30m', '3d', '1w', '1.5h', '0s', '2h0m']);
  });

  it('accepts 24-hour times of day only', () => {
    const pattern = new RegExp(TIME_OF_DAY_PATTERN, 'u');
    expect(['00:00', '06:00', '23:59', '19:30'].every((t) => pattern.test(t))).toBe(true);
    expect(['24:00', '6:00', '06:60', '0600', '06:00:00', '25:00'].some((t) => pattern.test(t))).toBe(false);
  });

  it('announces the same defaults the loader fills in', () => {
    const p = scenarioSchema.properties;
    expect(p.keyBy.default).toBe(SCENARIO_DEFAULTS.keyBy);
    expect(p.dispatch.default).toBe(SCENARIO_DEFAULTS.dispatch);
    expect(p.maxSilence.default).toBe(SCENARIO_DEFAULTS.maxSilence);
    expect(p.alert.properties.cooldown.default).toBe(SCENARIO_DEFAULTS.cooldown);
    expect(p.alert.properties.flapping.properties.maxChanges.default).toBe(6);
    expect(parseDuration(p.alert.properties.flapping.properties.window.default)).toBe(3_600_000);
  });
});
