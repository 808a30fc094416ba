import type { Role } from '../generated/prisma/enums.js';
import { fail, type Result } from './errors.js';

/** Who is making a request: resolved from the API key, once per request. */
export interface Caller {
  accountId: string;
  associateId: string;
  associateName: string;
  role: Role;
  apiKeyId: string;
  /** The application the API key names, if any. */
  application: string | null;
}

export function requireAdmin(caller: Caller): Result<never> | null {
  if (caller.role === 'ADMIN') return null;
  return fail('FORBIDDEN', 'Only admins can make changes; your role is MEMBER');
}
