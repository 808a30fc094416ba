export interface Worker {
  stop(): Promise<void>;
}
export function startWorker(): Worker {
  return { stop: async () => undefined };
}
