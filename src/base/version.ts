import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

let version: string | null = null;

/** The package version, sent in the delivery User-Agent. Read once, on first use. */
export function packageVersion(): string {
  version ??= JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).version as string;
  return version;
}
