import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { EngineApi } from '../../../src/contracts/engine-api.js';
import { DispatchPolicyEngine } from '../../../src/policy/policy-engine.js';
import { loadRegistryFile } from '../../../src/registry/registry-file.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const registry = loadRegistryFile('registry/demo.yaml');

/**
 * The two policy methods of EngineApi as the engine implements them — a real DispatchPolicyEngine
 * reloading a real file — and nothing else: these routes call nothing else.
 */
function policyApi(file: string, clock: { now: number }): EngineApi {
  const policy = DispatchPolicyEngine.builtIn(clock.now);
  const api: Pick<EngineApi, 'dispatchPolicy' | 'reloadDispatchPolicy'> = {
    dispatchPolicy: () => policy.info(),
    reloadDispatchPolicy: async () => policy.reload(file, clock.now, { registry }),
  };
  return api as EngineApi;
}

describe('GET /api/dispatch-policy and POST /api/dispatch-policy/reload', () => {
  const dir = useTempDir('rw-policy-api-');

  it('shows the running policy, reloads the file, and answers 400 with file and line for a bad one', async () => {
    const file = join(dir(), 'policy.yaml');
    const shipped = readFileSync('rules/dispatch/policy.yaml', 'utf8');
    writeFileSync(file, shipped);
    const clock = { now: 1_700_000_000_000 };
    const app = buildApp(policyApi(file, clock));

    const before = await app.inject({ method: 'GET', url: '/api/dispatch-policy' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({ source: 'built-in', rules: [], loadedAt: clock.now });

    clock.now += 60_000;
    const reloaded = await app.inject({ method: 'POST', url: '/api/dispatch-policy/reload' });
    expect(reloaded.statusCode).toBe(200);
    expect(reloaded.json()).toMatchObject({ source: expect.stringMatching(/policy\.yaml$/), loadedAt: clock.now });
    expect(reloaded.json().rules).toContain('red-gas-leak-to-street');

    // An operator's typo: refused with the position, and the policy loaded a minute ago stays.
    const broken = shipped.replace('department: fire-station', 'department: fire-brigade');
    writeFileSync(file, broken);
    clock.now += 60_000;
    const refused = await app.inject({ method: 'POST', url: '/api/dispatch-policy/reload' });
    expect(refused.statusCode).toBe(400);
    const body = refused.json();
    expect(body.code).toBe('ERR_POLICY_INVALID');
    const line = broken.split('\n').findIndex((l) => l.includes('fire-brigade')) + 1;
    expect(body.details).toMatchObject({ line, field: 'rules[2].then.department' });
    expect(body.details.errors).toHaveLength(1);
    expect(body.message).toContain('fire-brigade');

    const after = await app.inject({ method: 'GET', url: '/api/dispatch-policy' });
    expect(after.json()).toEqual(reloaded.json());
    await app.close();
  });
});
