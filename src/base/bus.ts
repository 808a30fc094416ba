// A typed, synchronous, in-process event bus. The data layer raises events on
// it after a transaction commits; the live layer and the delivery worker
// listen. Nothing below the live layer imports the live layer.

export type Listener<T> = (value: T) => void;

export class Bus<Events extends { [name: string]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(name: K, value: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of set) (l as Listener<Events[K]>)(value);
  }
}
