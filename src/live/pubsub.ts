// Live topics for subscriptions. In memory by default; with REDIS_URL the
// events fan out across instances through Redis.
import { createPubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import { config } from '../config.js';
import type { LiveAttempt } from '../dispatch/attempts.js';
import { webhookStateChanged } from '../webhooks/service.js';
import { apiKeyRevoked } from '../accounts/apiKeys.js';

export interface LiveWebhookState {
  id: string;
  accountId: string;
}

type Topics = {
  /** Keyed by account, so a subscriber only ever hears its own account. */
  'attempts:account': [accountId: string, attempt: LiveAttempt];
  'webhook-state:account': [accountId: string, webhook: LiveWebhookState];
  /** Every instance ends the revoked key's open subscriptions. */
  'api-key-revoked': [apiKeyId: string];
};

function makePubSub() {
  const url = config().redisUrl;
  if (!url) return { pubsub: createPubSub<Topics>(), close: async () => undefined };
  const publishClient = new Redis(url, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(url, { maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<Topics>({ eventTarget }),
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

const made = makePubSub();
export const pubsub = made.pubsub;

/** Forwards committed state changes and key revocations to live subscribers. */
export async function startLiveEvents(): Promise<{ stop(): Promise<void> }> {
  const offs = [
    webhookStateChanged.on((w) => pubsub.publish('webhook-state:account', w.accountId, { id: w.id, accountId: w.accountId })),
    apiKeyRevoked.on((id) => pubsub.publish('api-key-revoked', id)),
  ];
  return {
    stop: async () => {
      for (const off of offs) off();
      await made.close();
    },
  };
}
