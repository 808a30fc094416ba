// The delivery worker: claims due deliveries in batches, sends them with a
// global, a per-account and a per-webhook concurrency limit, and records
// every attempt. The account limit and claims that take accounts in turn
// keep one tenant's slow receivers or backlog from delaying the others.
// The queue is the Delivery table; the worker holds only IDs between steps
// and re-reads the webhook and event before sending.
import type { Bus } from '../base/bus.js';
import type { Clock } from '../base/clock.js';
import { deliveryLeaseMs, type Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents, DueHints } from '../db/events.js';
import type { Sql } from '../db/sql.js';
import { OwnedRows } from './ownedRows.js';
import { claimByIds, claimDue, extendLeases, releaseClaims, type ClaimedDelivery } from '../db/stores/deliveries.js';
import { dueGatedWebhooks } from '../db/stores/gated.js';
import { claimForGatedWebhook } from './gatedClaims.js';
import { eventsByIds } from '../db/stores/events.js';
import { webhooksByIds } from '../db/stores/webhooks.js';
import type { DeliveryRoom } from '../base/deliveryRoom.js';
import { Nap } from './nap.js';
import { SendPacer } from './sendPacer.js';
import type { Recorder } from './record.js';
import type { DeliveryStats } from './stats.js';
import type { WebhookCache } from './webhookCache.js';
import { EventCache } from './eventCache.js';
import type { EventForDelivery, Job, Outcome, Sender, WebhookForDelivery } from './sender.js';

export interface Worker {
  stop(): Promise<void>;
  /** Deliveries being sent or waiting for a per-webhook slot. */
  readonly busy: number;
  /**
   * Deliveries became due elsewhere (another thread or instance): look now
   * rather than at the next poll. `hints` name new rows, to be claimed by
   * primary key; a wake-up without hints makes the next claim a scan.
   */
  wake(hints?: DueHints): void;
}

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  sql: Sql;
  bus: Bus<AppEvents>;
  /** What "due" means: claims compare with this clock (tests move it). */
  clock: Clock;
  sender: Sender;
  recorder: Recorder;
  /** The thread's webhook cache (invalidated by webhook.changed); none means every batch reads its webhooks. */
  webhookCache?: WebhookCache;
  /** Counts claim batch sizes for the metrics. */
  stats?: DeliveryStats;
  /** Where this worker counts its free slots for publishes to lease new rows against (src/base/deliveryRoom.ts). */
  room?: DeliveryRoom;
}

/**
 * The webhooks and events a batch of deliveries needs, in two indexed reads
 * (fewer when the caches hold them: `cache` for webhooks, `fresh` for the
 * events of this instance's recent publishes, looked up at `now` ms).
 */
export async function loadForDelivery(
  sql: Sql,
  webhookIds: string[],
  eventIds: string[],
  cache?: WebhookCache,
  fresh?: { events: EventCache; now: number },
) {
  const cached = cache?.lookup(webhookIds);
  const toRead = cached ? cached.missing : webhookIds;
  const known = fresh?.events.lookup(eventIds, fresh.now);
  const eventsToRead = known ? known.missing : eventIds;
  const [read, events] = await Promise.all([
    toRead.length ? webhooksByIds(sql, toRead) : [],
    eventsToRead.length ? eventsByIds(sql, eventsToRead) : [],
  ]);
  if (cached) cache!.fill(read, cached.generation);
  const webhooks = new Map<string, WebhookForDelivery>(read.map((w) => [w.id, w]));
  if (cached) for (const w of cached.found) webhooks.set(w.id, w);
  const byId = new Map<string, EventForDelivery>(events.map((e) => [e.id, e]));
  if (known) for (const e of known.found) byId.set(e.id, e);
  return { webhooks, events: byId };
}

/** Hinted delivery ids held at most; past this, new rows are left to the scan. */
const MAX_HINTS = 20_000;
/** Rows leased to this worker at insert it may hold unsent, in multiples of its slots (see countRoom). */
const OWNED_AHEAD = 3;
/** Gated webhooks with due work looked at per pass. */
const GATED_LOOK = 100;
const MAX_GATED_SEEN = 10_000;

export function startWorker(deps: WorkerDeps): Worker {
  const { config: cfg, logger, sql, sender, recorder } = deps;
  const owner = cfg.instanceId;
  const leaseMs = deliveryLeaseMs(cfg);
  const inflightByWebhook = new Map<string, number>();
  // Webhooks with a concurrency of their own (maxConcurrency), as last read.
  const limits = new Map<string, number>();
  const limitOf = (webhookId: string) => limits.get(webhookId) ?? cfg.webhookConcurrency;
  // Gated webhooks (src/db/stores/gated.ts) this worker has claimed for: a
  // finished delivery of one may let it take the next, so it asks for a look.
  const gatedSeen = new Set<string>();
  // Gated claims run once per poll interval, and at once when something may
  // have made one possible (a finished gated delivery, a hint the batch claim left).
  let gatedWanted = true;
  let lastGated = 0;
  const wantGated = () => {
    gatedWanted = true;
    nap.wake();
  };
  // A rate-limited webhook may take its next delivery at a known time: a
  // timer asks for a look then (the earliest such time), rather than the next poll.
  let gatedTimer: NodeJS.Timeout | null = null;
  let gatedTimerAt = Infinity;
  const wantGatedAt = (at: Date) => {
    const delay = Math.max(0, at.getTime() - deps.clock.now().getTime());
    const due = Date.now() + delay;
    if (gatedTimer && gatedTimerAt <= due) return;
    if (gatedTimer) clearTimeout(gatedTimer);
    gatedTimerAt = due;
    gatedTimer = setTimeout(() => {
      gatedTimer = null;
      gatedTimerAt = Infinity;
      wantGated();
    }, delay);
  };
  // Claimed and not yet finished (sending, or waiting for a webhook slot), per account.
  const heldByAccount = new Map<string, number>();
  const accountRoom = (accountId: string) => cfg.accountConcurrency - (heldByAccount.get(accountId) ?? 0);
  // Accounts whose last scan took all the room they had: they likely have
  // more due work, so freeing enough of their slots asks for a scan.
  const backlogged = new Set<string>();
  const waiting = new Map<string, { job: Job; webhook: WebhookForDelivery; event: EventForDelivery }[]>();
  let inflight = 0;
  let waitingCount = 0;
  let running = true;
  const nap = new Nap();
  // Hinted rows not yet claimed, per webhook in arrival order. Only an
  // optimisation: the scanning claim still finds every due row, hinted or
  // not (a lost or dropped hint costs a scan, never a delivery).
  // `pending` holds the ids still to claim; a queue may also hold ids a scan
  // has claimed since (dropped from `pending`), skipped when reached.
  const hinted = new Map<string, string[]>();
  const hintedAccount = new Map<string, string>();
  const pending = new Set<string>();
  let queued = 0;
  // Hinted rows a publish inserted leased to this worker: sent without a
  // claim when picked. Unlike other hints they are never dropped, and the
  // room counted for publishes keeps them few.
  // One held for half its lease is given back, so it can never outlive its lease here.
  const owned = new OwnedRows();
  // Set by a wake-up without hints (another instance's work, a resume, a
  // requeue, dropped hints) and by a scan that filled its batch with rows no
  // hint named (a backlog): the next claim is a scan. Otherwise scans run
  // once per poll interval.
  let scanWanted = true;
  // This instance's new events, from its publishes' hints: the claims that follow need not read them.
  const freshEvents = new EventCache();
  const addHints = (h: DueHints) => {
    if (h.events?.length) freshEvents.add(h.events, deps.clock.now().getTime());
    const n = Math.max(0, Math.min(h.ids.length, MAX_HINTS - pending.size));
    if (n < h.ids.length) scanWanted = true;
    if (queued + n > 2 * MAX_HINTS) {
      // Mostly ids scans took: keep only those still pending.
      queued = 0;
      for (const [w, q] of hinted) {
        const live = q.filter((id) => pending.has(id));
        if (live.length) hinted.set(w, live);
        else {
          hinted.delete(w);
          hintedAccount.delete(w);
        }
        queued += live.length;
      }
    }
    let arrived = 0;
    for (let i = 0; i < h.ids.length; i++) {
      const eventId = h.ownedEventIds?.[i] ?? null;
      // Past the cap only owned rows are kept.
      if (eventId !== null) {
        owned.add({ id: h.ids[i], accountId: h.accountIds[i], webhookId: h.webhookIds[i], eventId, attemptCount: 0 }, Date.now());
        arrived++;
      } else if (i >= n) continue;
      enqueueHint(h.ids[i], h.webhookIds[i], h.accountIds[i]);
    }
    if (arrived) deps.room?.received(arrived);
    countRoom();
  };
  const enqueueHint = (id: string, webhookId: string, accountId: string) => {
    if (pending.has(id)) return;
    pending.add(id);
    queued++;
    const q = hinted.get(webhookId);
    if (q) q.push(id);
    else {
      hinted.set(webhookId, [id]);
      hintedAccount.set(webhookId, accountId);
    }
  };
  const webhookRoom = (w: string) => limitOf(w) - (inflightByWebhook.get(w) ?? 0) - (waiting.get(w)?.length ?? 0);
  /**
   * How many hinted ids could be claimed now without waiting for a slot (up
   * to `limit`), and whether any account's hints all fit. A busy worker
   * claims hints held back by slots only in batches (one statement per freed
   * slot would cost that statement per delivery), but an account whose hints
   * all fit has no reason to wait: holding its delivery back for a batch of
   * another account's would be unfair (a quiet tenant's one event waiting for
   * a noisy tenant's slots to free).
   */
  const hintRoom = (limit: number) => {
    const rooms = new Map<string, number>();
    const blocked = new Set<string>();
    let n = 0;
    // A webhook with nothing in flight whose hints all fit does not wait
    // either, even when a sibling webhook of its account is held back: a
    // sibling with a large backlog (say a bulk retry of 100,000 deliveries)
    // fills every scan's candidate window with its own rows, so the idle
    // webhook's new delivery would wait for a scan that happens to run while
    // the sibling is saturated (measured: over 10 s).
    let idleFits = false;
    for (const [w, q] of hinted) {
      const a = hintedAccount.get(w)!;
      const left = rooms.get(a) ?? accountRoom(a);
      const take = Math.max(0, Math.min(q.length, webhookRoom(w), left));
      if (take < q.length) blocked.add(a);
      else if (take > 0 && !inflightByWebhook.get(w) && !waiting.get(w)?.length) idleFits = true;
      rooms.set(a, left - take);
      n += take;
    }
    let fits = idleFits;
    for (const a of rooms.keys()) if (!blocked.has(a) && rooms.get(a)! < accountRoom(a)) fits = true;
    return { n: Math.min(n, limit), fits };
  };
  /**
   * Up to `limit` hinted ids, taking from each webhook only as many as it
   * and its account have free slots (so hinted claims never wait for a
   * slot), round-robin across webhooks, oldest first within one.
   */
  const pickHints = (limit: number): string[] => {
    const picked: string[] = [];
    const served: [string, string[]][] = [];
    const rooms = new Map<string, number>();
    for (const [w, q] of hinted) {
      if (picked.length >= limit) break;
      const a = hintedAccount.get(w)!;
      const left = rooms.get(a) ?? accountRoom(a);
      const room = Math.min(webhookRoom(w), left, limit - picked.length);
      if (room <= 0) continue;
      const before = picked.length;
      let i = 0;
      for (let taken = 0; i < q.length && taken < room; i++) {
        if (pending.delete(q[i])) {
          picked.push(q[i]);
          taken++;
        }
      }
      rooms.set(a, left - (picked.length - before));
      q.splice(0, i);
      queued -= i;
      served.push([w, q]);
    }
    // Served webhooks go to the back of the line, emptied ones leave it.
    for (const [w, q] of served) {
      hinted.delete(w);
      if (q.length) hinted.set(w, q);
      else hintedAccount.delete(w);
    }
    return picked;
  };
  const onDue = (hints?: DueHints) => {
    if (hints) addHints(hints);
    else scanWanted = gatedWanted = true;
    nap.wake();
  };
  const offWake = deps.bus.on('deliveries.due', (due) => onDue(due.hints));

  // After a response, a slot is freed when the HTTP attempt ends, not when
  // its record commits: the delivery stays leased until then, so nothing
  // claims it twice, and the recorder's batching (up to ~2 ms) does not hold
  // slots idle. After a timeout or a broken connection the slot is held
  // until the record commits, so the abandoned request is surely gone from
  // the receiver before the webhook's next one starts.
  const finished = (webhookId: string, accountId: string) => {
    inflight--;
    const left = (inflightByWebhook.get(webhookId) ?? 1) - 1;
    if (left) inflightByWebhook.set(webhookId, left);
    else inflightByWebhook.delete(webhookId);
    const held = (heldByAccount.get(accountId) ?? 1) - 1;
    if (held) heldByAccount.set(accountId, held);
    else heldByAccount.delete(accountId);
    if (backlogged.has(accountId) && cfg.accountConcurrency - held >= accountAtLeast) {
      backlogged.delete(accountId);
      scanWanted = true;
    }
    const queue = waiting.get(webhookId);
    const next = queue?.shift();
    if (next) {
      if (!queue!.length) waiting.delete(webhookId);
      waitingCount--;
      send(next.job, next.webhook, next.event);
    }
    if (gatedSeen.has(webhookId)) gatedWanted = true;
    countRoom();
    nap.wake();
  };
  const unrecorded = (err: unknown, deliveryId: string) =>
    logger.error({ err, deliveryId }, 'delivery attempt not recorded; it will be retried after its lease');

  // A rate-limited webhook's send waits here if its claim reached this point
  // too soon after the previous one (src/dispatch/sendPacer.ts). It holds its
  // slot meanwhile, as a send would.
  const pacer = new SendPacer();
  const paced = new Map<string, { timer: NodeJS.Timeout; job: Job }>();
  const send = (job: Job, webhook: WebhookForDelivery, event: EventForDelivery) => {
    inflight++;
    inflightByWebhook.set(job.webhookId, (inflightByWebhook.get(job.webhookId) ?? 0) + 1);
    const wait = pacer.reserve(job.webhookId, webhook.rateLimit, performance.now());
    if (wait <= 0) return start(job, webhook, event);
    const timer = setTimeout(() => {
      paced.delete(job.deliveryId);
      start(job, webhook, event);
    }, Math.ceil(wait));
    paced.set(job.deliveryId, { timer, job });
  };

  const start = (job: Job, webhook: WebhookForDelivery, event: EventForDelivery) => {
    // A gated webhook's next delivery may wait for this one's outcome (its order, say): look again once it commits.
    // A failed one holds an ordered webhook's line until its retry is due: look again then.
    const recorded = (o: Outcome) => {
      if (!gatedSeen.has(job.webhookId)) return;
      wantGated();
      if (o.nextAttemptAt) wantGatedAt(o.nextAttemptAt);
    };
    sender.attempt(job, webhook, event).then(
      (o) => {
        if (o.attempt.responseStatus !== null) {
          finished(job.webhookId, job.accountId);
          recorder.record(o).then(
            () => recorded(o),
            (err) => unrecorded(err, job.deliveryId),
          );
        } else {
          recorder.record(o).then(
            () => {
              finished(job.webhookId, job.accountId);
              recorded(o);
            },
            (err) => {
              finished(job.webhookId, job.accountId);
              unrecorded(err, job.deliveryId);
            },
          );
        }
      },
      (err) => {
        finished(job.webhookId, job.accountId);
        unrecorded(err, job.deliveryId);
      },
    );
  };

  /**
   * Sends claimed deliveries (or queues them for a webhook slot). `owned`:
   * rows leased to this worker at insert, whose webhook was not gated then;
   * one that has become gated since is given back for its own claim.
   */
  const dispatchClaimed = async (claimed: ClaimedDelivery[], owned = false) => {
    const { webhooks, events } = await loadForDelivery(
      sql,
      [...new Set(claimed.map((c) => c.webhookId))],
      [...new Set(claimed.map((c) => c.eventId))],
      deps.webhookCache,
      { events: freshEvents, now: deps.clock.now().getTime() },
    );
    const orphaned: string[] = [];
    // A webhook's own timeout may outlast the lease claims get (sized for
    // DELIVERY_TIMEOUT_MS): such deliveries' leases are lengthened first.
    let longest = 0;
    const slow: string[] = [];
    for (const c of claimed) {
      const timeoutMs = webhooks.get(c.webhookId)?.timeoutMs ?? 0;
      if (timeoutMs > cfg.deliveryTimeoutMs) {
        slow.push(c.id);
        longest = Math.max(longest, timeoutMs);
      }
    }
    if (slow.length) await extendLeases(sql, slow, owner, new Date(deps.clock.now().getTime() + 2 * longest + 2_000));
    for (const c of claimed) {
      const webhook = webhooks.get(c.webhookId);
      const event = events.get(c.eventId);
      if (!webhook || !event || webhook.state !== 'ACTIVE' || (owned && webhook.gated)) {
        orphaned.push(c.id);
        if (webhook?.gated) gatedWanted = true;
        continue;
      }
      if (webhook.maxConcurrency != null) limits.set(webhook.id, webhook.maxConcurrency);
      else limits.delete(webhook.id);
      const job: Job = {
        deliveryId: c.id,
        accountId: c.accountId,
        webhookId: c.webhookId,
        eventId: c.eventId,
        attemptCount: c.attemptCount,
        trigger: 'SCHEDULED',
      };
      heldByAccount.set(c.accountId, (heldByAccount.get(c.accountId) ?? 0) + 1);
      if ((inflightByWebhook.get(c.webhookId) ?? 0) < limitOf(c.webhookId)) send(job, webhook, event);
      else {
        const queue = waiting.get(c.webhookId);
        if (queue) queue.push({ job, webhook, event });
        else waiting.set(c.webhookId, [{ job, webhook, event }]);
        waitingCount++;
      }
    }
    // Turned off or deleted since the claim: paused, not dropped.
    await releaseClaims(sql, orphaned, owner);
    countRoom();
  };

  const idle = (ms: number) => nap.sleep(ms);

  /**
   * Claims for gated webhooks (src/db/stores/gated.ts): finds those with due
   * work, then claims each one's deliveries, as many as its own limits and
   * this worker's free slots allow, so none waits here holding a slot.
   */
  const gatedPass = async (capacity: number) => {
    lastGated = Date.now();
    gatedWanted = false;
    const saturated: string[] = [];
    for (const [id, n] of inflightByWebhook) if (n + (waiting.get(id)?.length ?? 0) >= limitOf(id)) saturated.push(id);
    const fullAccounts = [...heldByAccount.keys()].filter((a) => accountRoom(a) <= 0);
    const found = await dueGatedWebhooks(
      sql,
      { excludeWebhookIds: saturated, excludeAccountIds: fullAccounts, limit: GATED_LOOK },
      deps.clock.now(),
    );
    let left = capacity;
    for (const w of found) {
      if (left <= 0) break;
      if (gatedSeen.size >= MAX_GATED_SEEN) gatedSeen.clear();
      gatedSeen.add(w.id);
      if (w.maxConcurrency !== null) limits.set(w.id, w.maxConcurrency);
      else limits.delete(w.id);
      const room = Math.min(left, webhookRoom(w.id), accountRoom(w.accountId));
      if (room <= 0) continue;
      const { claimed, nextAllowedAt } = await claimForGatedWebhook(sql, deps.clock, w, { owner, leaseMs, room });
      if (nextAllowedAt) wantGatedAt(nextAllowedAt);
      if (!claimed.length) continue;
      left -= claimed.length;
      await dispatchClaimed(claimed);
    }
    // More gated webhooks than one look covers, and slots left over: look again soon.
    if (found.length >= GATED_LOOK && left < capacity) gatedWanted = true;
  };

  // Claiming is one statement for a whole batch; claiming one row per freed
  // slot would cost that statement per delivery. So a busy worker waits
  // until a quarter of its slots are free (an idle one claims at once).
  const claimAtLeast = Math.max(1, Math.min(cfg.workerBatchSize, Math.ceil(cfg.deliveryConcurrency / 4)));
  // Outcomes waiting to be written count against the slots, so a slow
  // database slows claiming instead of growing the recorder's queue.
  const recordBacklog = () => Math.max(0, recorder.pending - cfg.deliveryConcurrency);
  // What publishes may lease to this worker: its slots and a queue of
  // OWNED_AHEAD times as many behind them, less what it holds. Leasing only
  // for free slots leased almost nothing under load (the slots are full while
  // publishes come in), and the claims stayed. The queue is gone in a few
  // tens of milliseconds at full speed, so it keeps little from other instances.
  const countRoom = () => {
    if (running) deps.room?.set((1 + OWNED_AHEAD) * cfg.deliveryConcurrency - inflight - waitingCount - owned.size - recordBacklog());
    else deps.room?.reset();
  };

  // A hinted claim is one primary-key statement, so it is worth making for fewer slots.
  const hintAtLeast = Math.max(1, Math.min(claimAtLeast, Math.ceil(Math.min(cfg.deliveryConcurrency, cfg.accountConcurrency) / 8)));
  // A backlogged account asks for a scan once this many of its slots are free.
  const accountAtLeast = Math.max(1, Math.min(claimAtLeast, Math.ceil(cfg.accountConcurrency / 4)));
  // While hints keep coming the scan still runs once per poll interval, so
  // retries, other instances' work and anything a hint missed wait no longer than before.
  let lastScan = 0;
  const untilNextScan = () => Math.max(1, lastScan + cfg.workerPollMs - Date.now());

  /**
   * Owned rows go before any claim: they already hold their leases, and a
   * scan's rows would otherwise take the slots they wait for (measured: an
   * owned row waited past its lease and was sent twice). As many as their
   * webhooks and accounts have room for, round-robin across webhooks (src/dispatch/ownedRows.ts).
   */
  const pickOwned = (limit: number): ClaimedDelivery[] => {
    const picked = owned.pick(limit, webhookRoom, accountRoom);
    for (const c of picked) pending.delete(c.id);
    return picked;
  };
  /** Gives back owned rows held for half their lease; they stay hinted, to be claimed like any other row. */
  const releaseStaleOwned = async () => {
    const stale = owned.heldSince(Date.now() - leaseMs / 2);
    if (!stale.length) return;
    for (const id of stale) owned.take(id);
    await releaseClaims(sql, stale, owner);
  };

  const loop = async () => {
    while (running) {
      countRoom();
      if (owned.size) {
        try {
          await releaseStaleOwned();
          const room = cfg.deliveryConcurrency - inflight - waitingCount - recordBacklog();
          const mine = room > 0 ? pickOwned(Math.min(room, cfg.workerBatchSize)) : [];
          if (mine.length) {
            deps.stats?.claimed('owned', mine.length);
            await dispatchClaimed(mine, true);
          }
        } catch (err) {
          logger.error({ err }, 'sending deliveries leased at insert failed; they are retried after their leases');
        }
      }
      // Gated claims are one webhook's few rows each: worth making for any
      // free slot. The batch claims below still get their turn in the same
      // round, however often gated webhooks ask for a look.
      const free = cfg.deliveryConcurrency - inflight - waitingCount - recordBacklog();
      if (free > 0 && (gatedWanted || Date.now() - lastGated >= cfg.workerPollMs)) {
        try {
          await gatedPass(Math.min(free, cfg.workerBatchSize));
        } catch (err) {
          // Retried at the next poll; the batch claims go on meanwhile.
          logger.error({ err }, 'claiming deliveries of gated webhooks failed; retrying');
        }
      }
      const busy = inflight + waitingCount;
      const capacity = cfg.deliveryConcurrency - busy - recordBacklog();
      const scanDue = scanWanted || Date.now() - lastScan >= cfg.workerPollMs;
      if (capacity <= 0 || (busy > 0 && capacity < (scanDue ? claimAtLeast : hintAtLeast))) {
        await idle(scanDue ? cfg.workerPollMs : untilNextScan());
        continue;
      }
      if (!scanDue) {
        const limit = Math.min(capacity, cfg.workerBatchSize);
        const room = pending.size ? hintRoom(limit) : { n: 0, fits: false };
        // Busy, and the hints wait only for slots: claim once enough are free, in one statement.
        const ids = room.n > 0 && (busy === 0 || room.fits || room.n >= hintAtLeast) ? pickHints(limit) : [];
        if (!ids.length) {
          // No hints, or every hinted webhook is at its limit: wait for a wake-up, a slot or the next scan.
          await idle(untilNextScan());
          continue;
        }
        try {
          // Owned rows are this worker's already; the others are claimed in one statement.
          const mine: ClaimedDelivery[] = [];
          const toClaim: string[] = [];
          for (const id of ids) {
            const c = owned.take(id);
            if (c) {
              mine.push(c);
            } else toClaim.push(id);
          }
          if (mine.length) {
            deps.stats?.claimed('owned', mine.length);
            await dispatchClaimed(mine, true);
          }
          const claimed = toClaim.length ? await claimByIds(sql, { owner, leaseMs, ids: toClaim }, deps.clock.now()) : [];
          // Rows a hint could not take may be a gated webhook's: those are claimed on their own.
          if (claimed.length < toClaim.length) gatedWanted = true;
          if (claimed.length) {
            deps.stats?.claimed('hinted', claimed.length);
            await dispatchClaimed(claimed);
          }
        } catch (err) {
          logger.error({ err }, 'claiming deliveries failed; retrying');
          scanWanted = true; // the hints taken are gone: the scan finds their rows
          await idle(Math.max(cfg.workerPollMs, 1000));
        }
        continue;
      }
      lastScan = Date.now();
      scanWanted = false;
      const saturated: string[] = [];
      for (const [id, n] of inflightByWebhook) if (n >= limitOf(id)) saturated.push(id);
      const fullAccounts: string[] = [];
      const accountRooms: Record<string, number> = {};
      for (const a of heldByAccount.keys()) {
        const room = accountRoom(a);
        if (room <= 0) fullAccounts.push(a);
        else accountRooms[a] = room;
      }
      const limit = Math.min(capacity, cfg.workerBatchSize);
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimDue(
          sql,
          {
            owner,
            limit,
            leaseMs,
            perWebhook: cfg.webhookConcurrency,
            perAccount: cfg.accountConcurrency,
            accountRooms,
            excludeWebhookIds: saturated,
            excludeAccountIds: fullAccounts,
          },
          deps.clock.now(),
        );
        if (claimed.length) {
          deps.stats?.claimed('scan', claimed.length);
          await dispatchClaimed(claimed);
        }
      } catch (err) {
        logger.error({ err }, 'claiming deliveries failed; retrying');
        scanWanted = true;
        await idle(Math.max(cfg.workerPollMs, 1000));
        continue;
      }
      // A full batch of rows no hint named means a backlog: scan again as
      // soon as slots allow. Hinted rows the scan took are no longer pending.
      // An account that took every slot it had left, with rows no hint
      // named, probably has more such rows: scan again once enough of its
      // slots are free (its hinted rows need no scan: hints claim them).
      let unhinted = 0;
      const took = new Map<string, number>();
      const unhintedOf = new Set<string>();
      for (const c of claimed) {
        took.set(c.accountId, (took.get(c.accountId) ?? 0) + 1);
        owned.take(c.id); // only after its lease ran out
        if (pending.delete(c.id)) continue;
        unhinted++;
        unhintedOf.add(c.accountId);
      }
      for (const a of unhintedOf) if (took.get(a)! >= (accountRooms[a] ?? cfg.accountConcurrency)) backlogged.add(a);
      if (claimed.length >= limit && unhinted > 0) scanWanted = true;
      else if (!pending.size) await idle(cfg.workerPollMs);
    }
  };
  const done = loop();

  return {
    get busy() {
      return inflight + waitingCount;
    },
    wake(hints?: DueHints) {
      onDue(hints);
    },
    async stop() {
      running = false;
      countRoom();
      if (gatedTimer) clearTimeout(gatedTimer);
      nap.wake();
      offWake();
      await done;
      // Owned rows not yet sent go back too: no scan would take them before their lease ran out.
      const unsent = [...waiting.values()]
        .flat()
        .map((w) => w.job.deliveryId)
        .concat(owned.ids());
      owned.clear();
      waiting.clear();
      waitingCount = 0;
      for (const { timer, job } of paced.values()) {
        clearTimeout(timer);
        unsent.push(job.deliveryId);
        finished(job.webhookId, job.accountId);
      }
      paced.clear();
      await releaseClaims(sql, unsent, owner).catch(() => undefined);
      while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
      await recorder.drain();
    },
  };
}
