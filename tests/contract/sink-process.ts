/**
 * An engine process for the contract suite's kill -9 test: opens the store, builds one sink of the
 * given kind, starts it and commits seeded batches of changes through the group commit, printing
 * `committed <n>` after each transaction returned; then `done`, and it waits to be killed.
 *
 * Usage: node --import tsx tests/contract/sink-process.ts <kind> <dataDir> <target> <id> <seed> <batches> <perBatch>
 */
import { ManualScheduler } from '../../src/core/manual-scheduler.js';
import { GroupCommit } from '../../src/engine/group-commit.js';
import { openStore } from '../../src/store/store.js';
import { T0 } from '../helpers/store-fixtures.js';
import { CONTRACT_SINKS, type ContractSinkKind } from './sink-builders.js';
import { seededBatches } from './sink-workload.js';

const [kind, dataDir, target, id, seed, batches, perBatch] = process.argv.slice(2);
if (!kind || !(kind in CONTRACT_SINKS) || !dataDir || target === undefined || !id || !seed || !batches || !perBatch) {
  process.stderr.write('usage: sink-process <kind> <dataDir> <target> <id> <seed> <batches> <perBatch>\n');
  process.exit(2);
}

const store = openStore(dataDir);
// Engine time stands still: no retry timer fires here; what matters is what the commits left behind.
const scheduler = new ManualScheduler(T0);
const { sink } = CONTRACT_SINKS[kind as ContractSinkKind].build({
  store, scheduler, target, id, onProblem: (problem) => process.stderr.write(`${problem}\n`),
});
const commits = new GroupCommit({
  store,
  sinks: [sink],
  now: () => scheduler.now(),
  onCommitted: () => undefined,
  onError: (err) => {
    process.stderr.write(`commit failed: ${err.message}\n`);
    process.exit(1);
  },
});
sink.start();
let committed = 0;
for (const batch of seededBatches(Number(seed), Number(batches), Number(perBatch))) {
  for (const change of batch) commits.stage(change);
  commits.flush();
  committed += batch.length;
  // stdout to a pipe is synchronous on Linux: once this returns, the line is in the pipe.
  process.stdout.write(`committed ${committed}\n`);
}
process.stdout.write('done\n');
// Stays up, with the sink trying to deliver, until the test kills it; bounded in case it does not.
setTimeout(() => process.exit(3), 60_000);
