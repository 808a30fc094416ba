// `npm start`: the whole service (API and, unless disabled, the worker).
import { runService } from './entry.js';

await runService(async () => (await import('./app.js')).startApp());
