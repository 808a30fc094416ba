// Console links: an admin hands someone the console for the account, with a
// role, for a while, without handing over an API key. The link carries a
// random token in its URL fragment (never sent to a server by browsers, so
// it stays out of access logs); Hookline keeps only the token's hash. The
// token is then a credential like an API key (src/server/auth.ts), until it
// expires or is revoked.
import { newId } from '../../base/ids.js';
import { generateConsoleLinkToken, hashApiKey } from '../../base/secrets.js';
import { fail, ok, type Result, type UserError } from '../../base/errors.js';
import { requireAdmin, requireApiKey, type Caller } from '../../base/caller.js';
import type { Role } from '../../generated/prisma/enums.js';
import {
  findConsoleLink,
  insertConsoleLink,
  linkHolderByHash,
  listConsoleLinks as listLinkRows,
  revokeConsoleLinkRow,
  type ConsoleLink,
} from '../../db/stores/consoleLinks.js';
import { publishInTx } from '../../outbox/publish.js';
import type { Deps } from '../deps.js';

export const DEFAULT_LINK_SECONDS = 3600;
export const MAX_LINK_SECONDS = 7 * 24 * 3600;

/** When a link made at `now` expires, or why `expiresIn` (seconds) is refused. */
export function linkExpiry(now: Date, expiresIn: number | null | undefined): Date | UserError {
  const seconds = expiresIn ?? DEFAULT_LINK_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_LINK_SECONDS) {
    return {
      code: 'INVALID',
      field: ['input', 'expiresIn'],
      message: `expiresIn must be a whole number of seconds from 60 to ${MAX_LINK_SECONDS} (7 days); the default is ${DEFAULT_LINK_SECONDS} (1 hour)`,
    };
  }
  return new Date(now.getTime() + seconds * 1000);
}

/** The URL a person opens: the token rides in the fragment, which browsers never send to a server. */
export function consoleLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/#link=${encodeURIComponent(token)}`;
}

/** A console link as the invite.created and invite.deleted events describe it: never its token or URL. */
export function inviteSummary(link: ConsoleLink) {
  return {
    id: link.id,
    role: link.role,
    createdById: link.createdById,
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt.toISOString(),
    revokedAt: link.revokedAt?.toISOString() ?? null,
  };
}

export interface CreateConsoleLinkInput {
  role: Role;
  expiresIn?: number | null;
}

export async function createConsoleLink(
  deps: Deps,
  caller: Caller,
  input: CreateConsoleLinkInput,
): Promise<Result<{ consoleLink: ConsoleLink; url: string }>> {
  const denied = requireAdmin(caller) ?? requireApiKey(caller, 'create console links');
  if (denied) return denied;
  const now = deps.clock.now();
  const expiresAt = linkExpiry(now, input.expiresIn);
  if (!(expiresAt instanceof Date)) return { ok: false, errors: [expiresAt] };
  const token = generateConsoleLinkToken();
  const consoleLink: ConsoleLink = {
    id: newId(),
    accountId: caller.accountId,
    createdById: caller.associateId,
    role: input.role,
    tokenHash: hashApiKey(token),
    createdAt: now,
    expiresAt,
    revokedAt: null,
  };
  await deps.sql.tx(async (tx) => {
    await insertConsoleLink(tx, consoleLink);
    await publishInTx(tx, { accountId: caller.accountId, type: 'invite.created', payload: { invite: inviteSummary(consoleLink) } }, now);
  });
  return ok({ consoleLink, url: consoleLinkUrl(deps.config.publicUrl, token) });
}

export async function listConsoleLinks(deps: Deps, caller: Caller): Promise<Result<ConsoleLink[]>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  return ok(await listLinkRows(deps.sql, caller.accountId));
}

export async function revokeConsoleLink(deps: Deps, caller: Caller, id: string): Promise<Result<ConsoleLink>> {
  const denied = requireAdmin(caller);
  if (denied) return denied;
  const existing = await findConsoleLink(deps.sql, caller.accountId, id);
  if (!existing) return fail('NOT_FOUND', `No console link with id "${id}"`, ['id']);
  if (existing.revokedAt) return ok(existing);
  const now = deps.clock.now();
  const revoked = await deps.sql.tx(async (tx) => {
    const row = (await revokeConsoleLinkRow(tx, caller.accountId, id, now))!;
    await publishInTx(tx, { accountId: caller.accountId, type: 'invite.deleted', payload: { invite: inviteSummary(row) } }, now);
    // The same after-commit event as a revoked API key (the link's id is the
    // caller's credential id): caches forget it and its open streams end, on
    // every instance.
    tx.afterCommit('apiKey.revoked', { accountId: caller.accountId, apiKeyId: id });
    return row;
  });
  return ok(revoked);
}

/**
 * Resolves a presented console-link token to its caller: the admin who made
 * the link, acting with the link's role. Null when unknown, revoked or expired.
 */
export async function authenticateLink(deps: Pick<Deps, 'sql' | 'caches' | 'clock'>, token: string): Promise<Caller | null> {
  const tokenHash = hashApiKey(token);
  const now = deps.clock.now();
  let caller = deps.caches.keys.get(tokenHash, Date.now());
  if (!caller) {
    const row = await linkHolderByHash(deps.sql, tokenHash);
    if (!row) return null;
    caller = {
      accountId: row.accountId,
      associateId: row.associateId,
      associateName: row.associateName,
      // A link made by an admin who has since become a MEMBER only reads.
      role: row.role === 'ADMIN' && row.makerRole === 'ADMIN' ? 'ADMIN' : 'MEMBER',
      apiKeyId: row.linkId,
      application: null,
      expiresAt: row.expiresAt,
    };
    deps.caches.keys.set(tokenHash, caller, Date.now());
  }
  // Checked on every use, cached or not, against the service's clock.
  return caller.expiresAt && caller.expiresAt.getTime() > now.getTime() ? caller : null;
}
