import type { Config } from './config.js';
import { HeaderVault } from './customHeaders.js';
import { resolveEncryptionKey, SecretBox } from './secrets.js';

export interface Keyring {
  box: SecretBox;
  /** Webhooks' custom headers, opened with `box` and cached. */
  headers: HeaderVault;
  /** The raw key, for handing to the delivery thread. */
  key: Buffer;
  /** Set when this start generated the key file, so start-up can warn. */
  generatedPath: string | null;
}

/** Loads the configured key, or the one in the data directory (generating it on first start). */
export function openKeyring(cfg: Config): Keyring {
  const { key, generated, path } = resolveEncryptionKey(cfg);
  const box = new SecretBox(key);
  return { box, headers: new HeaderVault(box), key, generatedPath: generated ? path : null };
}
