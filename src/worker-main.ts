// `npm run worker`: a delivery worker without the HTTP API, for deployments
// that run API-only instances with WORKER_ENABLED=false.
import { runService } from './entry.js';

await runService(async () => (await import('./app.js')).startWorkerOnly());
