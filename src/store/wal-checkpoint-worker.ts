import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The worker side of WalCheckpointer: its own connection to the database file, which copies
 * committed WAL frames into the database when asked. PASSIVE never waits for the writer or for
 * readers (and never makes them wait): it copies what it can and leaves the rest for the next
 * request.
 */
const { file, shared } = workerData as { file: string; shared: Int32Array };
const db = new BetterSqlite3(file);
db.pragma('synchronous = NORMAL'); // as the writer's connection: sync at checkpoints only

/** Slots of the shared Int32Array (see WalCheckpointer). */
const CLOSED = 0;
const RUNNING = 1;
const COMPLETED = 2;
const port = parentPort!;
port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'checkpoint') {
    let error: string | undefined;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      error = (err as Error).message;
    }
    if (!error) Atomics.add(shared, COMPLETED, 1);
    // Shared memory, not only a message: a writer in a long synchronous stretch (a stop, a replay
    // flush) sees the checkpoint done and asks for the next one without waiting for its event loop.
    Atomics.store(shared, RUNNING, 0);
    port.postMessage({ done: true, error });
    return;
  }
  db.close();
  // The writer waits for this (Atomics.wait) so that it closes last and removes the WAL.
  Atomics.store(shared, CLOSED, 1);
  Atomics.notify(shared, CLOSED);
  port.close();
});
