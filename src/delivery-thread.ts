// The delivery thread's entry point (bundled to dist/delivery-thread.mjs):
// started by src/app/thread.ts inside `npm start` and `npm run worker`.
import { parentPort, workerData } from 'node:worker_threads';
import { runDeliveryThread } from './app/deliveryThread.js';
import type { DeliveryThreadData } from './app/threadProtocol.js';

if (!parentPort) throw new Error('delivery-thread runs inside a worker thread; start the service with npm start or npm run worker');
await runDeliveryThread(workerData as DeliveryThreadData, parentPort);
