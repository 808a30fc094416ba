// Starts a thread (delivery, checkpoints) from TypeScript source, for runs under tsx
// (tests, the benchmark's in-process roles). Node 20 does not apply the
// parent's `--import tsx` hooks to a worker's entry module, so the thread
// registers tsx itself, then loads the entry given as its first argument.
// `npm start` never uses this: it starts the dist/*-thread.mjs bundles.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
