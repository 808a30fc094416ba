// Profile mode only: Hookline's whole service (HTTP, worker, pubsub) run
// in-process here, so every SQL statement it sends can be counted and timed
// by shape (see bench/lib/sqlite-timing.ts). A CPU profile shows that time
// goes into the SQLite driver, but not which statements; this does.
// The environment (database, keys, port 0) comes from the parent.
import { startTiming, stopTiming } from '../lib/sqlite-timing.js';
import { serve } from '../lib/proc.js';

const { startApp } = await import('../../src/app/app.js');
const { loadConfig } = await import('../../src/base/config.js');
const app = await startApp(loadConfig(process.env));

serve({
  url: () => app.url.replace('localhost', '127.0.0.1'),
  start: () => {
    startTiming();
    return true;
  },
  stop: () => stopTiming(),
  close: async () => {
    await app.stop();
    return true;
  },
});
