/**
 * The import rules of riskwatch (docs/architecture.md, "Layering"), checked inside `npm test`
 * (tests/unit/architecture/dependency-rules.test.ts) and by `npm run depcheck`. The flow runs one way: each stage imports the contracts, core and the
 * stages before it, never a stage after it; store and sinks see only contracts and core; the API
 * reads through the EngineApi contract; only the wiring (src/engine*, cli, main) sees everything.
 */

const { LAYERS } = require('./dependency-layers.cjs');

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only ${allowed.map((l) => `src/${l}/`).join(', ')} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one: split the shared part out into contracts or core.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-outside',
      comment: 'The engine ships without its tests, benchmarks and simulators; only the CLI runs simulators.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^(tests|bench|simulators)/' },
    },
    {
      name: 'simulators-see-contracts-only',
      comment: 'Simulators speak the public contract (topics, payloads, the device catalogue, the registry file), not engine internals.',
      severity: 'error',
      from: { path: '^simulators/' },
      to: { path: '^src/', pathNot: '^src/(contracts|core|catalogue|registry)/' },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment: 'What src/ imports must be a runtime dependency, or `npm install --omit=dev` breaks it.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
