// Checks on the SQLite file before it is opened, so start-up fails with one
// line naming the file and the cause instead of SQLite's "unable to open
// database file", and never quietly starts over on a file whose data is gone.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { osReason, StartupError } from '../base/startup.js';

export interface SqliteFileCheck {
  path: string;
  /** The key file in DATA_DIR: if it exists, this data directory was used before. */
  keyFile: string;
  /** INIT_EMPTY_DATABASE: an empty file may be initialised all the same. */
  initEmpty: boolean;
}

/** Throws a StartupError when the file cannot (or must not) be opened. */
export function checkSqliteFile({ path, keyFile, initEmpty }: SqliteFileCheck): void {
  if (path === ':memory:') return;
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StartupError(`cannot create the directory ${dir} for the SQLite database ${path}: ${osReason(err)}`);
  }
  const exists = existsSync(path);
  if (exists) {
    const stat = statSync(path);
    if (!stat.isFile()) throw new StartupError(`the SQLite database ${path} is not a file; point DATABASE_URL at a file`);
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw new StartupError(`cannot open the SQLite database ${path}: the file is not readable and writable (${osReason(err)})`);
    }
    if (stat.size === 0 && existsSync(keyFile) && !initEmpty) {
      throw new StartupError(
        `the SQLite database ${path} is empty (0 bytes) but ${keyFile} shows this data directory was used before: ` +
          `the data may have been lost, so nothing was initialised; restore the file from a backup, ` +
          `or set INIT_EMPTY_DATABASE=true to start with an empty database`,
      );
    }
  }
  // SQLite writes <file>-wal and <file>-shm next to the file (WAL mode), and creates the file itself.
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const what = exists ? `${basename(path)}-wal and ${basename(path)}-shm` : 'the database file';
    throw new StartupError(
      `cannot open the SQLite database ${path}: its directory ${dir} is not writable (${osReason(err)}); SQLite creates ${what} there`,
    );
  }
}
