/**
 * An in-process notification that services raise after a commit and the live
 * layer forwards to subscribers, so services never import the pubsub.
 */
export function signal<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    on(listener: (value: T) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(value: T): void {
      for (const l of listeners) l(value);
    },
  };
}
