/**
 * Child process for the kill -9 durability test: commits alert + order + outbox rows in a loop,
 * one transaction per detection as the engine does, and prints `<i> <outboxId>` only after each
 * commit returned. The test kills it with SIGKILL mid-loop.
 *
 * Usage: node --import tsx tests/helpers/store-writer.ts <dataDir> [maxIterations]
 */
import { openStore } from '../../src/store/store.js';
import { T0, makeAlert, makeOrder } from './store-fixtures.js';

const [dataDir, maxArg] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: store-writer <dataDir> [maxIterations]\n');
  process.exit(2);
}
// A bound, so a writer the test failed to kill still ends by itself.
const max = Number(maxArg ?? 200_000);
const store = openStore(dataDir);
process.stdout.write('ready\n');

for (let i = 0; i < max; i++) {
  const at = T0 + i;
  const outboxId = store.transaction(() => {
    store.alerts.save(makeAlert({ id: `alert-${i}`, key: `hh-${i}`, openedAt: at, updatedAt: at }));
    store.orders.save(makeOrder({ id: `order-${i}`, alertId: `alert-${i}`, createdAt: at, updatedAt: at }));
    return store.outbox.append({ topic: `rw/orders/community/order-${i}`, payload: JSON.stringify({ i }), qos: 1 }, at);
  });
  // stdout to a pipe is synchronous on Linux: once this returns, the line is in the pipe.
  process.stdout.write(`${i} ${outboxId}\n`);
}
store.close();
