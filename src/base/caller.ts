import type { Role } from '../generated/prisma/enums.js';
import { fail, type Result } from './errors.js';

/** Who is making a request: resolved from the API key or console link, once per request. */
export interface Caller {
  accountId: string;
  associateId: string;
  associateName: string;
  role: Role;
  /**
   * The credential's id: the API key's, or the console link's for a person
   * signed in with one. Revoking it ends the caller's open streams.
   */
  apiKeyId: string;
  /** When the credential stops working, for console links; API keys have none. */
  expiresAt?: Date;
  /** The application the API key names, if any. */
  application: string | null;
}

/**
 * A platform-level key's holder (src/domain/accounts/platformKeys.ts): no
 * account, no associate; it may only create accounts.
 */
export interface PlatformCaller {
  platformKeyId: string;
  name: string;
}

export function requireAdmin(caller: Caller): Result<never> | null {
  if (caller.role === 'ADMIN') return null;
  return fail('FORBIDDEN', 'Only admins can make changes; your role is MEMBER');
}

/**
 * Console-link sessions may not mint lasting credentials (further links, API
 * keys): a link must not outlive its expiry or revocation through another.
 */
export function requireApiKey(caller: Caller, what: string): Result<never> | null {
  if (!caller.expiresAt) return null;
  return fail('FORBIDDEN', `A console-link session cannot ${what}; use an API key`);
}
