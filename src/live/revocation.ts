// Live streams outlive the request that opened them: when their API key is
// revoked, on any instance, the stream sends one UNAUTHENTICATED error and
// ends, as every other request with that key would be refused. Revocation
// arrives as a message, so a live event costs no key lookup.
import { GraphQLError } from 'graphql';
import { pubsub } from './pubsub.js';

export const KEY_REVOKED = Symbol('API key revoked');

/** Passes events on until the key is revoked; then yields KEY_REVOKED once and ends (unsubscribing from the source). */
export async function* whileKeyValid<T>(source: AsyncIterable<T>, apiKeyId: string): AsyncGenerator<T | typeof KEY_REVOKED> {
  const events = source[Symbol.asyncIterator]();
  const revocations = pubsub.subscribe('api-key-revoked')[Symbol.asyncIterator]();
  const revoked = (async (): Promise<typeof KEY_REVOKED> => {
    for (;;) {
      const next = await revocations.next();
      if (next.done || next.value === apiKeyId) return KEY_REVOKED;
    }
  })();
  try {
    for (;;) {
      const next = await Promise.race([events.next(), revoked]);
      if (next === KEY_REVOKED) {
        yield KEY_REVOKED;
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await revocations.return?.();
    await events.return?.();
  }
}

/** For a subscription's resolve: the event, or the error that ends a revoked key's stream. */
export function unlessRevoked<T>(value: T | typeof KEY_REVOKED): T {
  if (value === KEY_REVOKED) {
    throw new GraphQLError('The API key is invalid or has been revoked', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  return value;
}
