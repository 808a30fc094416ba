// PostgreSQL wake-ups across instances: after a commit makes deliveries due,
// the instance sends NOTIFY on one channel, and every instance's delivery
// thread LISTENs on a dedicated connection and claims at once instead of at
// its next poll. Polling stays as the fallback: a lost notification (a
// dropped listener connection, an instance starting) only costs a poll.
import pg from 'pg';
import type { Bus } from '../base/bus.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from './events.js';

export const DUE_CHANNEL = 'hookline_deliveries';

/** At most one NOTIFY per this many milliseconds: a busy publisher costs the database a few a second, not one per publish. */
const NOTIFY_EVERY_MS = 5;

/**
 * Sends `NOTIFY hookline_deliveries, '<instanceId>'` after commits that make
 * deliveries due, coalesced: at most one NOTIFY in flight and one per
 * NOTIFY_EVERY_MS, and any number of commits meanwhile cost one more. The
 * payload lets an instance ignore its own notifications (its thread was
 * already woken in-process).
 */
export function startDueNotifier(pool: pg.Pool, bus: Bus<AppEvents>, instanceId: string, logger: Logger): { stop(): Promise<void> } {
  let inFlight: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let lastSent = 0;
  let timer: NodeJS.Timeout | null = null;
  const text = `SELECT pg_notify('${DUE_CHANNEL}', $1)`;
  const send = () => {
    if (stopped) return;
    if (inFlight || timer) {
      again = true;
      return;
    }
    const wait = lastSent + NOTIFY_EVERY_MS - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        // This NOTIFY covers every commit since the last one.
        timer = null;
        again = false;
        send();
      }, wait);
      return;
    }
    lastSent = Date.now();
    inFlight = pool
      .query(text, [instanceId])
      .then(
        () => undefined,
        (err) => logger.warn({ err }, 'NOTIFY for due deliveries failed; other instances will poll'),
      )
      .finally(() => {
        inFlight = null;
        if (again) {
          again = false;
          send();
        }
      });
  };
  // Rows leased to this instance at insert are for no other instance to claim: waking them would cost a scan each.
  const off = bus.on('deliveries.due', (due) => {
    const owned = due.hints?.ownedEventIds;
    if (!owned || owned.some((id) => id === null)) send();
  });
  return {
    async stop() {
      off();
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}

export interface DueListener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection and calls `onDue` for notifications from
 * other instances. Reconnects with backoff when the connection drops.
 */
export function listenForDue(connectionString: string, instanceId: string, onDue: () => void, logger: Logger): DueListener {
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = 250;
  let timer: NodeJS.Timeout | null = null;

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString, application_name: 'hookline-listen' });
    client = c;
    c.on('notification', (n) => {
      if (n.channel === DUE_CHANNEL && n.payload !== instanceId) onDue();
    });
    c.on('error', (err) => {
      if (closed) return;
      logger.warn({ err }, 'LISTEN connection failed; reconnecting (deliveries are polled meanwhile)');
      retry(c);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${DUE_CHANNEL}`);
      retryMs = 250;
      // Anything published while no connection listened is found now rather than at the next poll.
      onDue();
    } catch (err) {
      if (closed) return;
      logger.warn({ err }, 'could not LISTEN for due deliveries; retrying (deliveries are polled meanwhile)');
      retry(c);
    }
  };

  const retry = (c: pg.Client) => {
    if (client !== c || closed) return;
    client = null;
    c.end().catch(() => undefined);
    timer = setTimeout(() => void connect(), retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, 10_000);
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
