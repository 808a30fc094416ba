// Live topics for subscriptions. In memory by default; with REDIS_URL the
// events also fan out across instances through Redis (redisTarget.ts: this
// instance's subscribers never depend on Redis). The bridge forwards what
// the data layer announces after each commit.
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Bus } from '../base/bus.js';
import type { AppEvents } from '../db/events.js';
import type { RecordedAttempt } from '../db/stores/attempts.js';
import type { UpdatedDelivery } from '../db/events.js';
import type { BulkOperation } from '../db/stores/bulkOperations.js';
import { Fanout, type FanoutOptions } from './fanout.js';
import { createLocalFirstRedisTarget } from './redisTarget.js';
import { CredentialExpiry } from './expiry.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { LiveInterest } from '../base/liveInterest.js';
import { countingTarget } from './interestTarget.js';

export interface LiveWebhookState {
  id: string;
  accountId: string;
}

export type Topics = {
  /** Keyed by account, so a subscriber only ever hears its own account. */
  'attempts:account': [accountId: string, attempt: RecordedAttempt];
  'deliveries:account': [accountId: string, delivery: UpdatedDelivery];
  'webhook-state:account': [accountId: string, webhook: LiveWebhookState];
  'bulk-operations:account': [accountId: string, op: BulkOperation];
  /** Every instance ends the revoked key's open subscriptions. */
  'api-key-revoked': [apiKeyId: string];
};

export type LivePubSub = ReturnType<typeof createPubSub<Topics>>;

export interface Live {
  pubsub: LivePubSub;
  /** Serves graphql-ws subscriptions on live topics (fanout.ts). */
  fanout: Fanout;
  /** Whether the Redis carrying live events to other instances is reachable ('disabled' without REDIS_URL). */
  redis(): RedisStatus;
  /** Ends expiring credentials' (console links') streams when they expire. */
  expiry: CredentialExpiry;
  /**
   * Resolves once a subscription to the topic, already started, hears other
   * instances' events (Redis confirmed it); at once without Redis.
   */
  ready(topic: keyof Topics, id: string): Promise<void>;
  stop(): Promise<void>;
}

export type RedisStatus = 'up' | 'down' | 'disabled';

/**
 * One report when a Redis connection is lost, not one per reconnection try
 * (ioredis keeps retrying; without an error listener it prints each failure).
 */
function reportOutages(redis: Redis, onError: FanoutOptions['onError']) {
  let down = false;
  redis.on('error', (err) => {
    if (down) return;
    down = true;
    onError?.(err, 'Redis unavailable; live events reach other instances again once it is back');
  });
  redis.on('ready', () => (down = false));
}

/**
 * `interest` counts this instance's listeners of the delivery-log topics
 * (see src/base/liveInterest.ts). With Redis it is held up for good: another
 * instance's streams may hear this one's attempts.
 */
export function startLive(
  redisUrl: string | null,
  bus: Bus<AppEvents>,
  fanoutOptions: FanoutOptions,
  interest: LiveInterest,
  clock: Clock = systemClock,
): Live {
  let pubsub: LivePubSub;
  let close = async () => undefined as void;
  let redis = (): RedisStatus => 'disabled';
  let ready: Live['ready'] = () => Promise.resolve();
  if (redisUrl) {
    const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    for (const redis of [publishClient, subscribeClient]) reportOutages(redis, fanoutOptions.onError);
    const eventTarget = createLocalFirstRedisTarget({
      publishClient,
      subscribeClient,
      onError: fanoutOptions.onError ?? (() => undefined),
    });
    pubsub = createPubSub<Topics>({ eventTarget });
    interest.add();
    redis = () => (publishClient.status === 'ready' && subscribeClient.status === 'ready' ? 'up' : 'down');
    // createPubSub's channel for (topic, id) is "topic:id".
    ready = (topic, id) => eventTarget.subscribed(`${topic}:${id}`);
    close = async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    };
  } else {
    pubsub = createPubSub<Topics>({ eventTarget: countingTarget(interest) });
  }
  const offs = [
    bus.on('attempt.recorded', (a) => pubsub.publish('attempts:account', a.accountId, a)),
    bus.on('delivery.updated', (d) => pubsub.publish('deliveries:account', d.accountId, d)),
    bus.on('webhook.stateChanged', (w) => pubsub.publish('webhook-state:account', w.accountId, { id: w.id, accountId: w.accountId })),
    bus.on('bulkOperation.updated', (op) => pubsub.publish('bulk-operations:account', op.accountId, op)),
    bus.on('apiKey.revoked', (k) => pubsub.publish('api-key-revoked', k.apiKeyId)),
  ];
  const fanout = new Fanout(pubsub, fanoutOptions);
  const expiry = new CredentialExpiry(pubsub, clock);
  return {
    pubsub,
    fanout,
    redis,
    expiry,
    ready,
    async stop() {
      for (const off of offs) off();
      expiry.stop();
      await fanout.close();
      await close();
    },
  };
}
