// Messages between the main thread and the delivery thread. Small on
// purpose: IDs, wake-ups and the attempt records the live log streams
// (Dates survive structured clone).
import type { Config } from '../base/config.js';
import type { RecordedAttempt } from '../db/stores/attempts.js';
import type { DueHints, UpdatedDelivery } from '../db/events.js';
import type { Webhook } from '../db/stores/webhooks.js';
import type { BulkOperation } from '../db/stores/bulkOperations.js';
import type { DeliveryStatsDelta } from '../dispatch/stats.js';

/** What the thread starts with (workerData). Buffers arrive as plain Uint8Arrays. */
export interface DeliveryThreadData {
  config: Config;
  /** The keyring's key: webhook secrets are decrypted in the thread. */
  key: Uint8Array;
  /** How far the instance's clock runs ahead of the real time (0 but in tests). */
  clockOffsetMs: number;
  /** SQLite: the write gate's shared memory (see db/writeGate.ts). */
  writeGate: SharedArrayBuffer | null;
  /** The instance's LiveInterest (src/base/liveInterest.ts); null: post every attempt to the main thread. */
  liveInterest: SharedArrayBuffer | null;
  /** The thread's free slots (src/base/deliveryRoom.ts), which it keeps counted; null: publishes lease nothing to it. */
  room: SharedArrayBuffer | null;
  /** Set once an earlier thread of this process has died: its leases are this thread's to take back. */
  restarted: boolean;
}

export type ToDeliveryThread =
  /** Deliveries became due on the main thread (a publish, a recovery): claim now; a publish's new rows come as hints; `scan` asks for a scanning claim too. */
  | { t: 'due'; hints?: DueHints; scan: boolean }
  /** A webhook changed (on any instance): drop the thread's cached copy. */
  | { t: 'webhookChanged'; id: string }
  /** Other instances' webhook changes may have been missed: drop every cached webhook. */
  | { t: 'webhooksStale' }
  /** A bulk operation was created (on this instance): start on it now rather than at the next poll. */
  | { t: 'bulk' }
  /** The instance's clock moved (tests): the thread's clock follows. */
  | { t: 'clock'; offsetMs: number }
  /** Stop claiming, finish in-flight deliveries, write their records, close the connection. */
  | { t: 'stop' };

export type FromDeliveryThread =
  | { t: 'ready' }
  /**
   * Attempts committed in one transaction, in order, and the deliveries they
   * changed; with the metrics counted since the last message that carried
   * them (src/dispatch/stats.ts), so /metrics is as current as the live log.
   */
  | { t: 'attempts'; attempts: RecordedAttempt[]; deliveries: UpdatedDelivery[]; stats: DeliveryStatsDelta | null }
  /** About once a second: metrics counted since the last message that carried them, and the thread's event-loop delay. */
  | { t: 'stats'; stats: DeliveryStatsDelta | null; lag: { meanSeconds: number; p99Seconds: number } }
  /** A webhook changed state (auto-disable, 410 Gone). */
  | { t: 'state'; webhook: Webhook }
  /** The thread committed new due deliveries (the webhook.state_changed built-in event). */
  | { t: 'due'; accountId: string }
  /** A bulk operation moved forward or ended. */
  | { t: 'bulkOperation'; op: BulkOperation }
  | { t: 'stopped' };
