// A subscription source that is a live topic of one account, with a
// per-subscriber filter, watched for revocation of the subscriber's API key.
//
// It is an ordinary AsyncIterable (SSE, and any transport that iterates it,
// get the same stream as ever: topic → filter → whileKeyValid), and it also
// says what it is, so the graphql-ws fan-out registry (fanout.ts) can serve
// it without iterating it: one topic subscription per account, one execution
// and one JSON.stringify per event and subscription shape, and a pre-built
// frame per socket. Nothing subscribes to the topic until it is iterated.
import { filter, pipe } from 'graphql-yoga';
import type { LivePubSub, Topics } from './pubsub.js';
import { whileKeyValid, type KEY_REVOKED } from './revocation.js';

/** The per-account live topics a subscription can be built on. */
export type LiveTopic = 'attempts:account' | 'deliveries:account' | 'webhook-state:account' | 'bulk-operations:account';
export type LiveEvent<K extends LiveTopic> = Topics[K][1];

export interface LiveSpec<K extends LiveTopic = LiveTopic> {
  topic: K;
  accountId: string;
  /** The key that opened the stream: the stream ends when it is revoked. */
  apiKeyId: string;
  /** This subscriber's filter (its webhookId, status, …), applied to every event. */
  accept: (event: LiveEvent<K>) => boolean;
}

export const LIVE_SPEC = Symbol('hookline live source');

export interface LiveSource<K extends LiveTopic = LiveTopic> extends AsyncIterable<LiveEvent<K> | typeof KEY_REVOKED> {
  readonly [LIVE_SPEC]: LiveSpec<K>;
}

export function liveSource<K extends LiveTopic>(pubsub: LivePubSub, spec: LiveSpec<K>): LiveSource<K> {
  return {
    [LIVE_SPEC]: spec,
    [Symbol.asyncIterator]() {
      const events = pubsub.subscribe(spec.topic as LiveTopic, spec.accountId) as AsyncIterable<LiveEvent<K>>;
      return whileKeyValid(pubsub, pipe(events, filter(spec.accept)), spec.apiKeyId)[Symbol.asyncIterator]();
    },
  };
}

export function liveSpecOf(source: unknown): LiveSpec | null {
  return typeof source === 'object' && source !== null && LIVE_SPEC in source ? (source as LiveSource)[LIVE_SPEC] : null;
}
