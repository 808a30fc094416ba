// Live streams outlive the request that opened them, so a subscription
// re-checks its API key before passing each event on: once the key is
// revoked (or deleted), the stream sends one UNAUTHENTICATED error and ends,
// as every other request with that key would be refused.
import { GraphQLError } from 'graphql';
import { prisma } from '../db/client.js';

export const KEY_REVOKED = Symbol('API key revoked');

async function keyIsLive(apiKeyId: string): Promise<boolean> {
  const row = await prisma.apiKey.findUnique({ where: { id: apiKeyId }, select: { revokedAt: true } });
  return !!row && !row.revokedAt;
}

/** Passes events on while the key is valid; then yields KEY_REVOKED once and ends (unsubscribing from the source). */
export async function* whileKeyValid<T>(source: AsyncIterable<T>, apiKeyId: string): AsyncGenerator<T | typeof KEY_REVOKED> {
  for await (const value of source) {
    if (!(await keyIsLive(apiKeyId))) {
      yield KEY_REVOKED;
      return;
    }
    yield value;
  }
}

/** For a subscription's resolve: the event, or the error that ends a revoked key's stream. */
export function unlessRevoked<T>(value: T | typeof KEY_REVOKED): T {
  if (value === KEY_REVOKED) {
    throw new GraphQLError('The API key is invalid or has been revoked', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  return value;
}
