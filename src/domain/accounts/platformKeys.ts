// Platform-level keys: made by the operator with `npm run admin --
// create-platform-key`, they belong to no account and can only create
// accounts (createAccount), so a SaaS provisions its tenants from its own
// backend without shell access to Hookline. Like API keys, only a SHA-256
// hash is kept, and a revoked key stops working at once.
import { newId } from '../../base/ids.js';
import type { PlatformCaller } from '../../base/caller.js';
import { generatePlatformKey, hashApiKey } from '../../base/secrets.js';
import { insertPlatformKey, livePlatformKeyByHash, listPlatformKeys, revokePlatformKeyRow } from '../../db/stores/platformKeys.js';
import type { Deps } from '../deps.js';

export interface NewPlatformKey {
  platformKeyId: string;
  name: string;
  key: string;
}

export async function createPlatformKey(deps: Pick<Deps, 'sql' | 'clock'>, name: string): Promise<NewPlatformKey> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new Error('A platform key needs a name of 1 to 200 characters');
  const key = generatePlatformKey();
  const id = newId();
  await insertPlatformKey(deps.sql, {
    id,
    name: trimmed,
    // "hkp_" and four random characters: a hint that gives nothing away.
    prefix: key.slice(0, 8),
    lastFour: key.slice(-4),
    keyHash: hashApiKey(key),
    createdAt: deps.clock.now(),
    revokedAt: null,
  });
  return { platformKeyId: id, name: trimmed, key };
}

/** Revokes a platform key (again: no change); throws if there is none with this id. */
export async function revokePlatformKey(deps: Pick<Deps, 'sql' | 'clock'>, id: string) {
  const row = await revokePlatformKeyRow(deps.sql, id, deps.clock.now());
  if (!row) throw new Error(`No platform key with id "${id}"`);
  return { platformKeyId: row.id, name: row.name, revokedAt: row.revokedAt!.toISOString() };
}

/** The platform keys, never the keys themselves: their hints. */
export async function platformKeys(deps: Pick<Deps, 'sql'>) {
  return (await listPlatformKeys(deps.sql)).map((k) => ({
    platformKeyId: k.id,
    name: k.name,
    prefix: k.prefix,
    lastFour: k.lastFour,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  }));
}

/**
 * The holder of a presented platform key, or null when unknown or revoked.
 * One indexed lookup, not cached: platform calls are rare, and a revocation
 * then needs no cross-instance invalidation.
 */
export async function authenticatePlatform(deps: Pick<Deps, 'sql'>, key: string): Promise<PlatformCaller | null> {
  const row = await livePlatformKeyByHash(deps.sql, hashApiKey(key));
  return row ? { platformKeyId: row.id, name: row.name } : null;
}
