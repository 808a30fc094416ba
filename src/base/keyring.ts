import type { Config } from './config.js';
import { resolveEncryptionKey, SecretBox } from './secrets.js';

export interface Keyring {
  box: SecretBox;
  /** The raw key, for handing to the delivery thread. */
  key: Buffer;
  /** Set when this start generated the key file, so start-up can warn. */
  generatedPath: string | null;
}

/** Loads the configured key, or the one in the data directory (generating it on first start). */
export function openKeyring(cfg: Config): Keyring {
  const { key, generated, path } = resolveEncryptionKey(cfg);
  return { box: new SecretBox(key), key, generatedPath: generated ? path : null };
}
