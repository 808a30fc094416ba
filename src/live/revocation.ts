// Live streams outlive the request that opened them: when their API key is
// revoked, on any instance, the stream sends one UNAUTHENTICATED error and
// ends, as every other request with that key would be refused. Revocation
// arrives as a message, so a live event costs no key lookup.
import { GraphQLError } from 'graphql';
import type { LivePubSub } from './pubsub.js';

export const KEY_REVOKED = Symbol('API key revoked');

/** Passes events on until the key is revoked; then yields KEY_REVOKED once and ends (unsubscribing from the source). */
export async function* whileKeyValid<T>(
  pubsub: LivePubSub,
  source: AsyncIterable<T>,
  apiKeyId: string,
): AsyncGenerator<T | typeof KEY_REVOKED> {
  const events = source[Symbol.asyncIterator]();
  const revocations = pubsub.subscribe('api-key-revoked')[Symbol.asyncIterator]();
  let revoked = false;
  // One watcher per stream, not a race per event: ending the source wakes
  // the loop below, so nothing accumulates while events flow.
  const watcher = (async () => {
    for (;;) {
      const next = await revocations.next();
      if (next.done) return;
      if (next.value === apiKeyId) {
        revoked = true;
        await events.return?.();
        return;
      }
    }
  })();
  try {
    for (;;) {
      const next = await events.next();
      if (revoked) {
        yield KEY_REVOKED;
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await revocations.return?.();
    await events.return?.();
    await watcher;
  }
}

/** For a subscription's resolve: the event, or the error that ends a revoked key's stream. */
export function unlessRevoked<T>(value: T | typeof KEY_REVOKED): T {
  if (value === KEY_REVOKED) {
    throw new GraphQLError('The API key or console link is invalid or has been revoked, or the link has expired', {
      extensions: { code: 'UNAUTHENTICATED' },
    });
  }
  return value;
}
