import { describe, expect, it } from 'vitest';
import type { RiskwatchError } from '../../../src/core/errors.js';
import { loadRegistryFile, parseRegistry } from '../../../src/registry/registry-file.js';
import { Registry } from '../../../src/registry/registry.js';

function rejection(fn: () => unknown): RiskwatchError {
  try {
    fn();
  } catch (err) {
    return err as RiskwatchError;
  }
  throw new Error('expected an error');
}

const PLACES = `places:
  - { id: st-1, kind: street, name: Test Street }
`;

describe('registry departments', () => {
  it('the demo city has a gas company, a water company, a fire station and property management, with hotlines', () => {
    const registry = loadRegistryFile('registry/demo.yaml');
    expect(registry.departments().map((d) => [d.id, d.kind])).toEqual([
      ['gas-company', 'gas'], ['water-company', 'water'], ['fire-station', 'fire'], ['property-management', 'property'],
    ]);
    const gas = registry.department('gas-company')!;
    expect(gas.name).toContain('燃气');
    expect(gas.phone).toMatch(/^[0-9 ]+$/);
    expect(registry.department('fire-station')!.name).toContain('消防救援站');
    expect(registry.department('water-company')!.name).toContain('自来水');
    expect(registry.department('property-management')!.name).toContain('物业');
    expect(registry.department('police')).toBeUndefined();
  });

  it('keeps organisational hotlines apart from the residents\' personal-data markers', () => {
    // Privacy tests look for "+86 000" and "虚构" in logs and screens: a department is not personal data.
    for (const d of loadRegistryFile('registry/demo.yaml').departments()) {
      expect(`${d.name} ${d.phone}`).not.toMatch(/\+86 000|虚构/);
    }
  });

  it('are optional, and frozen copies of what was given', () => {
    expect(parseRegistry(PLACES, 'r.yaml').departments()).toEqual([]);
    const input = { id: 'gas-company', name: 'Gas Co', phone: '96777', kind: 'gas' };
    const registry = new Registry({ departments: [input] });
    input.name = 'changed';
    expect(registry.department('gas-company')).toEqual({ id: 'gas-company', name: 'Gas Co', phone: '96777', kind: 'gas' });
    expect(Object.isFrozen(registry.department('gas-company'))).toBe(true);
  });

  it('rejects a duplicate id with its line', () => {
    const text = `${PLACES}departments:
  - { id: gas-company, name: Gas Co }
  - { id: gas-company, name: Gas Co again }
`;
    const err = rejection(() => parseRegistry(text, 'r.yaml'));
    expect(err.code).toBe('ERR_REGISTRY_INVALID');
    expect(err.details).toMatchObject({ file: 'r.yaml', line: 5, field: 'departments[1].id', rule: 'duplicate-id' });
  });

  it('rejects unknown fields, a missing name and a kind that is not one word, with line and field', () => {
    const cases: [string, number, string, string][] = [
      ['  - { id: gas-company, name: Gas Co, hotline: "96777" }\n', 4, 'departments[0].hotline', 'schema'],
      ['  - { id: gas-company }\n', 4, 'departments[0]', 'schema'],
      ['  - { id: gas-company, name: Gas Co, kind: Gas Supply }\n', 4, 'departments[0].kind', 'schema'],
      ['  - { id: "gas/company", name: Gas Co }\n', 4, 'departments[0].id', 'schema'],
    ];
    for (const [entry, line, field, rule] of cases) {
      const err = rejection(() => parseRegistry(`${PLACES}departments:\n${entry}`, 'r.yaml'));
      expect([entry, err.code, err.details]).toMatchObject([entry, 'ERR_REGISTRY_INVALID', { line, field, rule }]);
    }
    expect(rejection(() => new Registry({ departments: [{ id: 'x', name: 'X', kind: 'Not Ok' }] })).details).toMatchObject({
      entity: 'departments', field: 'kind', rule: 'invalid-value',
    });
  });
});
