import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { REGISTRY_SCHEMA } from '../../../src/registry/registry-schema.js';

const published = JSON.parse(readFileSync('schemas/registry.schema.json', 'utf8')) as unknown;

describe('registry JSON Schema', () => {
  it('schemas/registry.schema.json is the schema the loader uses', () => {
    // If this fails, regenerate the file from REGISTRY_SCHEMA (JSON.stringify(REGISTRY_SCHEMA, null, 2)).
    expect(published).toEqual(JSON.parse(JSON.stringify(REGISTRY_SCHEMA)));
  });

  it('validates the demo registry on its own, as an editor would', () => {
    const validate = new Ajv({ allowUnionTypes: true }).compile(published as object);
    expect(validate(parse(readFileSync('registry/demo.yaml', 'utf8')))).toBe(true);
    expect(validate({ devices: [{ id: 'wm-1', type: 'water_metre' }] })).toBe(false);
  });
});
