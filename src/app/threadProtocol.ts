// Messages between the main thread and the delivery thread. Small on
// purpose: IDs, wake-ups and the attempt records the live log streams
// (Dates survive structured clone).
import type { Config } from '../base/config.js';
import type { DueHints } from '../db/events.js';
import type { AttemptRecord } from '../db/stores/attempts.js';
import type { Webhook } from '../db/stores/webhooks.js';

/** What the thread starts with (workerData). Buffers arrive as plain Uint8Arrays. */
export interface DeliveryThreadData {
  config: Config;
  /** The keyring's key: webhook secrets are decrypted in the thread. */
  key: Uint8Array;
  /** How far the instance's clock runs ahead of the real time (0 but in tests). */
  clockOffsetMs: number;
}

export type ToDeliveryThread =
  /** Deliveries became due on the main thread (a publish, a recovery): claim now; a publish's new rows come as hints; `scan` asks for a scanning claim too. */
  | { t: 'due'; hints?: DueHints; scan: boolean }
  /** A webhook changed (on any instance): drop the thread's cached copy. */
  | { t: 'webhookChanged'; id: string }
  /** The instance's clock moved (tests): the thread's clock follows. */
  | { t: 'clock'; offsetMs: number }
  /** Stop claiming, finish in-flight deliveries, write their records, close the connection. */
  | { t: 'stop' };

export type FromDeliveryThread =
  | { t: 'ready' }
  /** Attempts committed in one transaction, in order. */
  | { t: 'attempts'; attempts: AttemptRecord[] }
  /** A webhook changed state (auto-disable, 410 Gone). */
  | { t: 'state'; webhook: Webhook }
  /** The thread committed new due deliveries (the webhook.state_changed built-in event). */
  | { t: 'due'; accountId: string }
  | { t: 'stopped' };
