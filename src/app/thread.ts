// The main thread's side of the delivery thread: starts it, bridges the two
// event buses, restarts it after a crash, and stops it gracefully.
//
// Bridging: the thread's commits raise attempt.recorded, webhook.stateChanged
// and deliveries.due on the thread's own bus; they arrive here as messages
// and are raised again on the main bus (live subscriptions, PostgreSQL
// NOTIFY). The main bus's deliveries.due (publishes, recoveries) wakes the
// thread.
//
// A crash (an uncaught error in the thread) is logged and the thread is
// restarted after a backoff, rather than exiting the process: the API keeps
// serving, and nothing is lost, because the crashed thread's claims are
// leases that expire and its unrecorded attempts are retried then.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Bus } from '../base/bus.js';
import { ManualClock, OffsetClock, type Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import type { DeliveryRoom } from '../base/deliveryRoom.js';
import type { LiveInterest } from '../base/liveInterest.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents, DueHints } from '../db/events.js';
import type { StoredEvent } from '../db/stores/events.js';
import type { WriteGate } from '../db/writeGate.js';
import type { Metrics } from '../server/metrics.js';
import type { DeliveryThreadData, FromDeliveryThread, ToDeliveryThread } from './threadProtocol.js';

export interface DeliveryThread {
  /** The running thread (null while it is being restarted after a crash). */
  readonly worker: Worker | null;
  /** How many times the thread was restarted after crashing. */
  readonly restarts: number;
  stop(): Promise<void>;
}

export interface DeliveryThreadDeps {
  config: Config;
  logger: Logger;
  bus: Bus<AppEvents>;
  key: Buffer;
  /** The instance's clock; a ManualClock's moves are passed on to the thread. */
  clock: Clock;
  /** SQLite: the write gate the API's connection takes, shared with the thread's connection. */
  writeGate: WriteGate | null;
  /** Whether the instance has live listeners of the delivery log; none given: always (the thread posts every attempt). */
  liveInterest?: LiveInterest;
  /** Where the thread's metrics go (batches of counts, its event-loop delay, restarts). */
  metrics?: Pick<Metrics, 'addDelivery' | 'deliveryThreadLag' | 'deliveryThreadRestarted'>;
  /** The thread's free slots, which publishes lease new rows against (src/base/deliveryRoom.ts). */
  room?: DeliveryRoom;
}

/**
 * A thread's entry: dist/<name>.mjs next to the bundle that `npm start`
 * runs; or, when this module runs from source under tsx (tests, the
 * benchmark's in-process roles), src/<name>.ts, loaded through
 * thread-tsx.mjs because Node 20 does not carry `--import tsx` into a
 * worker's entry module.
 */
export function threadEntry(name: 'delivery-thread' | 'checkpoint-thread'): { url: URL; argv: string[] } {
  const fromSource = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);
  const entry = fromSource ? new URL(`../${name}.ts`, import.meta.url) : new URL(`./${name}.mjs`, import.meta.url);
  if (!existsSync(fileURLToPath(entry))) throw new Error(`${name} entry not found at ${fileURLToPath(entry)}; run npm run build`);
  return fromSource ? { url: new URL('./thread-tsx.mjs', import.meta.url), argv: [entry.href] } : { url: entry, argv: [] };
}

const MIN_RESTART_MS = 1_000;
/** Delivery ids held for one wake-up message at most; more are left to the thread's scan. */
const MAX_PENDING_HINTS = 10_000;
const MAX_RESTART_MS = 30_000;
/** A thread that ran this long without crashing resets the backoff. */
const STABLE_MS = 60_000;

export async function startDeliveryThread(deps: DeliveryThreadDeps): Promise<DeliveryThread> {
  const { config, logger, bus } = deps;
  const entry = threadEntry('delivery-thread');
  const data: DeliveryThreadData = {
    config,
    key: deps.key,
    clockOffsetMs: 0,
    writeGate: deps.writeGate?.buffer ?? null,
    liveInterest: deps.liveInterest?.buffer ?? null,
    room: deps.room?.buffer ?? null,
    restarted: false,
  };
  let current: Worker | null = null;
  let stopping = false;
  let restartMs = MIN_RESTART_MS;
  let restartTimer: NodeJS.Timeout | null = null;
  let exited: Promise<void> = Promise.resolve();
  let restarts = 0;

  // Raising the thread's deliveries.due on the main bus must not echo back to it.
  let fromThread = false;
  let duePending = false;
  // New rows' ids from this instance's publishes, sent with the next wake-up
  // (bounded: past the cap the thread's scanning claim finds the rest). A
  // commit without hints (a resume, a requeue) or dropped hints ask for a scan.
  // Rows leased to the thread at insert are never dropped: no scan would
  // find them before their lease ran out, and the thread's room bounds them.
  let hintIds: string[] = [];
  let hintWebhookIds: string[] = [];
  let hintAccountIds: string[] = [];
  let hintEvents: StoredEvent[] = [];
  let hintOwned: (string | null)[] = [];
  let anyOwned = false;
  let scan = false;
  const postDue = () => {
    if (!duePending) return; // posted early, by stop()
    duePending = false;
    const hints: DueHints | undefined = hintIds.length
      ? {
          ids: hintIds,
          webhookIds: hintWebhookIds,
          accountIds: hintAccountIds,
          events: hintEvents,
          ...(anyOwned ? { ownedEventIds: hintOwned } : {}),
        }
      : undefined;
    const m: ToDeliveryThread = { t: 'due', hints, scan: scan || !hints };
    hintIds = [];
    hintWebhookIds = [];
    hintAccountIds = [];
    hintEvents = [];
    hintOwned = [];
    anyOwned = false;
    scan = false;
    current?.postMessage(m);
  };
  const offDue = bus.on('deliveries.due', (due) => {
    if (fromThread || !current) return;
    const h = due.hints;
    const full = !h || hintIds.length + h.ids.length > MAX_PENDING_HINTS;
    if (full) scan = true;
    if (h && (!full || h.ownedEventIds)) {
      for (let i = 0; i < h.ids.length; i++) {
        const owned = h.ownedEventIds?.[i] ?? null;
        if (full && owned === null) continue;
        hintIds.push(h.ids[i]);
        hintWebhookIds.push(h.webhookIds[i]);
        hintAccountIds.push(h.accountIds[i]);
        hintOwned.push(owned);
        if (owned !== null) anyOwned = true;
      }
      if (h.events) for (const e of h.events) hintEvents.push(e);
    }
    if (duePending) return;
    // Coalesced: any number of commits in one turn of the loop cost one message.
    duePending = true;
    setImmediate(postDue);
  });

  // Changes made by the API, or by other instances (PostgreSQL NOTIFY), invalidate the thread's webhook cache.
  const offChanged = bus.on('webhook.changed', ({ id }) => current?.postMessage({ t: 'webhookChanged', id } satisfies ToDeliveryThread));
  const offMissed = bus.on('changes.missed', () => current?.postMessage({ t: 'webhooksStale' } satisfies ToDeliveryThread));
  const offBulk = bus.on('bulkOperation.created', () => current?.postMessage({ t: 'bulk' } satisfies ToDeliveryThread));
  // Tests move time with a ManualClock; a restarted thread starts from the current offset.
  const offClock =
    deps.clock instanceof ManualClock
      ? deps.clock.onChange((offsetMs) => {
          data.clockOffsetMs = offsetMs;
          current?.postMessage({ t: 'clock', offsetMs } satisfies ToDeliveryThread);
        })
      : () => undefined;
  if (deps.clock instanceof OffsetClock) data.clockOffsetMs = deps.clock.offsetMs;

  const onMessage = (m: FromDeliveryThread) => {
    switch (m.t) {
      case 'attempts':
        if (m.stats) deps.metrics?.addDelivery(m.stats);
        for (const a of m.attempts) bus.emit('attempt.recorded', a);
        for (const d of m.deliveries) bus.emit('delivery.updated', d);
        break;
      case 'stats':
        if (m.stats) deps.metrics?.addDelivery(m.stats);
        deps.metrics?.deliveryThreadLag(m.lag.meanSeconds, m.lag.p99Seconds);
        break;
      case 'state':
        bus.emit('webhook.stateChanged', m.webhook);
        break;
      case 'bulkOperation':
        bus.emit('bulkOperation.updated', m.op);
        break;
      case 'due':
        fromThread = true;
        try {
          bus.emit('deliveries.due', { accountId: m.accountId });
        } finally {
          fromThread = false;
        }
        break;
    }
  };

  let startedOnce!: () => void;
  let startFailed!: (err: Error) => void;
  const started = new Promise<void>((res, rej) => ((startedOnce = res), (startFailed = rej)));
  started.catch(() => undefined);
  let cleanStartExits = 0;
  const spawn = (): Promise<void> => {
    const startedAt = Date.now();
    const w = new Worker(entry.url, { workerData: data, name: 'hookline-delivery', argv: entry.argv });
    current = w;
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const readyOnce = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
    let lastError: Error | null = null;
    w.on('message', (m: FromDeliveryThread) => {
      if (m.t === 'ready') {
        ready();
        startedOnce();
      } else if (m.t !== 'stopped') onMessage(m);
    });
    w.on('error', (err) => {
      lastError = err;
      logger.error({ err }, 'delivery thread crashed');
    });
    exited = new Promise<void>((resolve) =>
      w.on('exit', (code) => {
        current = null;
        // No thread, no room: publishes insert unleased rows until the next one counts its slots.
        deps.room?.reset();
        // A thread that died writing must not leave the API waiting for the gate.
        deps.writeGate?.releaseFrom(w.threadId);
        resolve();
        const err = lastError ?? new Error(`delivery thread exited with code ${code} during start-up`);
        failed(err);
        // Start-up fails on an error (say, a database the thread cannot
        // open). A thread that ended cleanly before it was ready has no error
        // to report: seen once in CI on PostgreSQL, not reproduced; it is
        // restarted below like a crash, up to twice, before start-up gives up.
        if (lastError || code !== 0 || ++cleanStartExits > 2) startFailed(err);
        if (stopping) return;
        if (Date.now() - startedAt > STABLE_MS) restartMs = MIN_RESTART_MS;
        logger.error(
          { code, restartInMs: restartMs },
          'delivery thread stopped unexpectedly; restarting it (the new thread sends what it had claimed again)',
        );
        restartTimer = setTimeout(() => {
          restartTimer = null;
          restarts++;
          data.restarted = true;
          deps.metrics?.deliveryThreadRestarted();
          spawn().catch(() => undefined); // a failed restart exits, and is retried, like a crash
        }, restartMs);
        restartMs = Math.min(restartMs * 2, MAX_RESTART_MS);
      }),
    );
    return readyOnce;
  };

  try {
    // The first start must succeed: a thread that cannot open the database fails start-up.
    spawn().catch(() => undefined);
    await started;
  } catch (err) {
    stopping = true;
    offDue();
    offChanged();
    offMissed();
    offBulk();
    offClock();
    if (restartTimer) clearTimeout(restartTimer);
    throw err;
  }

  return {
    get worker() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      offDue();
      offChanged();
      offMissed();
      offBulk();
      offClock();
      if (restartTimer) clearTimeout(restartTimer);
      const w = current;
      if (!w) return;
      deps.room?.reset();
      // Hints not yet posted go first: the stopping thread gives back the rows leased to it.
      if (duePending) postDue();
      w.postMessage({ t: 'stop' } satisfies ToDeliveryThread);
      // In-flight deliveries finish (DELIVERY_TIMEOUT_MS at most) before the thread exits.
      const grace = setTimeout(() => {
        logger.warn('delivery thread did not stop in time; terminating it (its claims are retried after their leases)');
        void w.terminate();
      }, config.deliveryTimeoutMs + 10_000);
      await exited;
      clearTimeout(grace);
    },
  };
}
