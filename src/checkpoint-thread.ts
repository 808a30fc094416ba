// The SQLite checkpoint thread's entry point (bundled to
// dist/checkpoint-thread.mjs): started by src/app/checkpointer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { runCheckpoints, type CheckpointThreadData } from './db/checkpoint.js';

if (!parentPort) throw new Error('checkpoint-thread runs inside a worker thread; start the service with npm start or npm run worker');
runCheckpoints(workerData as CheckpointThreadData, parentPort);
