// `npm start`: the whole service (API and, unless disabled, the worker).
import { runService } from './app/run.js';
import { startApp } from './app/app.js';

await runService((config) => startApp(config));
