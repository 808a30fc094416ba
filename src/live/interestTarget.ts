// The in-memory live pubsub's event target, counting the listeners of the
// delivery-log topics into a LiveInterest (src/base/liveInterest.ts), so the
// delivery thread knows whether its attempts have an audience here.
import type { LiveInterest } from '../base/liveInterest.js';

/** createPubSub names a (topic, id) channel "topic:id": these are the attempts and deliveries topics of any account. */
const LOG_CHANNELS = ['attempts:account:', 'deliveries:account:'];
const isLogChannel = (type: string) => LOG_CHANNELS.some((prefix) => type.startsWith(prefix));

type Listener = EventListenerOrEventListenerObject | null;

/**
 * Wraps `target`. A listener counts once per channel, as EventTarget adds it
 * once. (A listener added with `once` is dropped by the target without a
 * removeEventListener call and stays counted: the safe direction. The pubsub
 * never adds one.)
 */
export function countingTarget(interest: LiveInterest, target: EventTarget = new EventTarget()): EventTarget {
  const held = new Map<string, Set<Listener>>();
  return {
    addEventListener(type: string, listener: Listener, options?: AddEventListenerOptions | boolean) {
      target.addEventListener(type, listener, options);
      if (!listener || !isLogChannel(type)) return;
      let set = held.get(type);
      if (!set) held.set(type, (set = new Set()));
      if (set.has(listener)) return;
      set.add(listener);
      interest.add();
    },
    removeEventListener(type: string, listener: Listener, options?: EventListenerOptions | boolean) {
      target.removeEventListener(type, listener, options);
      const set = held.get(type);
      if (!listener || !set?.delete(listener)) return;
      if (!set.size) held.delete(type);
      interest.remove();
    },
    dispatchEvent: (event: Event) => target.dispatchEvent(event),
  };
}
