// The event target behind the live pubsub when REDIS_URL is set: an event
// reaches this instance's subscribers at once, in memory, and the other
// instances' through Redis. So Redis being away costs only the cross-instance
// leg: this instance's streams carry on, and the others resume when Redis is
// back (ioredis reconnects; every channel with a listener here is subscribed
// again). A failed Redis command is reported, never thrown: an unhandled
// rejection would end the process.
//
// It replaces @graphql-yoga/redis-event-target, which sends every event, own
// ones included, through Redis (so a Redis outage silenced this instance's
// streams too) and leaves its publish and subscribe promises unhandled.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

type Listener = (event: CustomEvent) => void;
type ListenerArg = Listener | { handleEvent: Listener } | null;

export interface RedisTargetOptions {
  publishClient: Redis;
  /** A connection in subscriber mode (it can send nothing else). */
  subscribeClient: Redis;
  onError: (err: unknown, msg: string) => void;
}

/** How long a stream waits for Redis to confirm its channel before it goes on without (Redis away). */
const CONFIRM_WAIT_MS = 2_000;

export interface LocalFirstRedisTarget extends EventTarget {
  /**
   * Resolves once Redis confirmed the subscription to `topic` (or after a
   * short wait when Redis is away): from then on, other instances' events on
   * it arrive here. Streams that read history after subscribing wait for it.
   */
  subscribed(topic: string): Promise<void>;
}

/** An EventTarget for graphql-yoga's createPubSub. */
export function createLocalFirstRedisTarget({ publishClient, subscribeClient, onError }: RedisTargetOptions): LocalFirstRedisTarget {
  // Tells this instance's messages, echoed back by Redis, from the others'.
  const origin = randomUUID();
  const listeners = new Map<string, Set<Listener>>();
  const confirmed = new Map<string, Promise<void>>();

  const deliver = (topic: string, detail: unknown) => {
    const set = listeners.get(topic);
    if (!set) return;
    const event = new CustomEvent(topic, { detail });
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        onError(err, 'live event listener failed');
      }
    }
  };

  subscribeClient.on('message', (channel: string, message: string) => {
    let note: { o: string; d: unknown };
    try {
      note = JSON.parse(message);
    } catch (err) {
      return onError(err, 'ignored a malformed live event from Redis');
    }
    if (note.o !== origin) deliver(channel, note.d);
  });
  // After a reconnect ioredis resubscribes the channels Redis had confirmed;
  // one first subscribed while Redis was away was never confirmed.
  subscribeClient.on('ready', () => {
    if (listeners.size) subscribeClient.subscribe(...listeners.keys()).catch((err) => onError(err, 'Redis subscribe failed'));
  });

  const fn = (arg: ListenerArg): Listener | null => (arg === null ? null : typeof arg === 'function' ? arg : arg.handleEvent);

  return {
    addEventListener(topic: string, arg: ListenerArg) {
      const listener = fn(arg);
      if (!listener) return;
      let set = listeners.get(topic);
      if (!set) {
        listeners.set(topic, (set = new Set()));
        confirmed.set(
          topic,
          subscribeClient.subscribe(topic).then(
            () => undefined,
            (err) => onError(err, 'Redis subscribe failed; retried when Redis is back'),
          ),
        );
      }
      set.add(listener);
    },
    removeEventListener(topic: string, arg: ListenerArg) {
      const listener = fn(arg);
      const set = listeners.get(topic);
      if (!listener || !set?.delete(listener) || set.size) return;
      listeners.delete(topic);
      confirmed.delete(topic);
      subscribeClient.unsubscribe(topic).catch(() => undefined); // gone with the connection anyway
    },
    subscribed(topic: string) {
      const pending = confirmed.get(topic);
      if (!pending) return Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, CONFIRM_WAIT_MS).unref()));
      return Promise.race([pending, wait]).finally(() => clearTimeout(timer));
    },
    dispatchEvent(event: Event) {
      const { type, detail } = event as CustomEvent;
      deliver(type, detail);
      publishClient
        .publish(type, JSON.stringify({ o: origin, d: detail }))
        .catch((err) => onError(err, 'Redis publish failed; other instances miss this live event'));
      return true;
    },
  };
}
