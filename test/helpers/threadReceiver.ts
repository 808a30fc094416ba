// A receiver that answers 200 from a thread of its own and notes each
// request's arrival time there. Tests that measure timing at the receiver
// (a rate limit's densest second) use it: the API under test runs on this
// process's main thread, and a pause there (a publish, a garbage collection)
// would otherwise hold arrivals back and note them together, bunching
// requests that were sent apart.
import { Worker } from 'node:worker_threads';
import type { Received, Receiver } from './receiver.js';

const THREAD = `
const { parentPort } = require('node:worker_threads');
const { createServer } = require('node:http');
const server = createServer((req, res) => {
  const at = Date.now();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    parentPort.postMessage({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

export async function startThreadReceiver(path = '/hook'): Promise<Receiver> {
  const received: Received[] = [];
  const worker = new Worker(THREAD, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port: number }) => resolve(m.port));
  });
  worker.on('message', (m: Omit<Received, 'json'>) => {
    let json: unknown = null;
    try {
      json = JSON.parse(m.body);
    } catch {
      json = null;
    }
    received.push({ ...m, json });
  });
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    respond() {
      throw new Error('a thread receiver always answers 200; use startReceiver() to script answers');
    },
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${n} requests`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    async close() {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage('close');
      await exited;
    },
  };
}
