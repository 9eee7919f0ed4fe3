/**
 * Who may import whom (docs/architecture.md, "Layering"): each folder of src/ and the folders of
 * src/ its files may import, its own included. The flow's stages (ingest, registry, models,
 * scenarios, alerts, policy, dispatch) import contracts, core and stages before them, never after;
 * store and sinks see only contracts and core; the API reads through the EngineApi contract. The
 * wiring folders see everything. `.dependency-cruiser.cjs` turns this into rules; a test keeps
 * docs/architecture.md's table equal to it.
 */
const LAYERS = {
  contracts: ['contracts'],
  core: ['contracts', 'core'],
  catalogue: ['contracts', 'core', 'catalogue'],
  ingest: ['contracts', 'core', 'catalogue', 'ingest'],
  registry: ['contracts', 'core', 'catalogue', 'registry'],
  models: ['contracts', 'core', 'catalogue', 'models'],
  scenarios: ['contracts', 'core', 'catalogue', 'models', 'scenarios'],
  alerts: ['contracts', 'core', 'alerts'],
  policy: ['contracts', 'core', 'catalogue', 'registry', 'policy'],
  dispatch: ['contracts', 'core', 'alerts', 'policy', 'dispatch'],
  reports: ['contracts', 'core', 'catalogue', 'reports'],
  store: ['contracts', 'core', 'store'],
  sinks: ['contracts', 'core', 'sinks'],
  broker: ['contracts', 'core', 'broker'],
  api: ['contracts', 'core', 'api'],
};

/** Folders of src/ that wire everything together and may import any of it (src/engine.ts and src/main.ts too). */
const WIRING = ['engine', 'cli'];

module.exports = { LAYERS, WIRING };
