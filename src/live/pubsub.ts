// Live topics for subscriptions. In memory by default; with REDIS_URL the
// events fan out across instances through Redis. The bridge forwards what
// the data layer announces after each commit.
import { createPubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Bus } from '../base/bus.js';
import type { AppEvents } from '../db/events.js';
import type { AttemptRecord } from '../db/stores/attempts.js';
import { Fanout, type FanoutOptions } from './fanout.js';

export interface LiveWebhookState {
  id: string;
  accountId: string;
}

export type Topics = {
  /** Keyed by account, so a subscriber only ever hears its own account. */
  'attempts:account': [accountId: string, attempt: AttemptRecord];
  'webhook-state:account': [accountId: string, webhook: LiveWebhookState];
  /** Every instance ends the revoked key's open subscriptions. */
  'api-key-revoked': [apiKeyId: string];
};

export type LivePubSub = ReturnType<typeof createPubSub<Topics>>;

export interface Live {
  pubsub: LivePubSub;
  /** Serves graphql-ws subscriptions on live topics (fanout.ts). */
  fanout: Fanout;
  stop(): Promise<void>;
}

export function startLive(redisUrl: string | null, bus: Bus<AppEvents>, fanoutOptions: FanoutOptions): Live {
  let pubsub: LivePubSub;
  let close = async () => undefined as void;
  if (redisUrl) {
    const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
    close = async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    };
  } else {
    pubsub = createPubSub<Topics>();
  }
  const offs = [
    bus.on('attempt.recorded', (a) => pubsub.publish('attempts:account', a.accountId, a)),
    bus.on('webhook.stateChanged', (w) => pubsub.publish('webhook-state:account', w.accountId, { id: w.id, accountId: w.accountId })),
    bus.on('apiKey.revoked', (k) => pubsub.publish('api-key-revoked', k.apiKeyId)),
  ];
  const fanout = new Fanout(pubsub, fanoutOptions);
  return {
    pubsub,
    fanout,
    async stop() {
      for (const off of offs) off();
      await fanout.close();
      await close();
    },
  };
}
