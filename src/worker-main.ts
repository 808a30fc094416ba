// `npm run worker`: a delivery worker without the HTTP API, for deployments
// that run API-only instances with WORKER_ENABLED=false.
import { runService } from './app/run.js';
import { startWorkerOnly } from './app/app.js';

await runService((config) => startWorkerOnly(config));
