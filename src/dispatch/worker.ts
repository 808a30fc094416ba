// The delivery worker: claims due deliveries in batches, sends them with a
// global and a per-webhook concurrency limit, and records every attempt.
// The queue is the Delivery table; the worker holds only IDs between steps
// and re-reads the webhook and event before sending.
import type { Bus } from '../base/bus.js';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from '../db/events.js';
import type { Sql } from '../db/sql.js';
import { claimDue, releaseClaims, type ClaimedDelivery } from '../db/stores/deliveries.js';
import { eventsByIds } from '../db/stores/events.js';
import { webhooksByIds } from '../db/stores/webhooks.js';
import type { Recorder } from './record.js';
import type { EventForDelivery, Job, Sender, WebhookForDelivery } from './sender.js';

export interface Worker {
  stop(): Promise<void>;
  /** Deliveries being sent or waiting for a per-webhook slot. */
  readonly busy: number;
  /** Deliveries became due elsewhere (another thread or instance): look now rather than at the next poll. */
  wake(): void;
}

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  sql: Sql;
  bus: Bus<AppEvents>;
  sender: Sender;
  recorder: Recorder;
}

/** The webhooks and events a batch of deliveries needs, in two indexed reads. */
export async function loadForDelivery(sql: Sql, webhookIds: string[], eventIds: string[]) {
  const [webhooks, events] = await Promise.all([webhooksByIds(sql, webhookIds), eventsByIds(sql, eventIds)]);
  return {
    webhooks: new Map<string, WebhookForDelivery>(webhooks.map((w) => [w.id, w])),
    events: new Map<string, EventForDelivery>(events.map((e) => [e.id, e])),
  };
}

export function startWorker(deps: WorkerDeps): Worker {
  const { config: cfg, logger, sql, sender, recorder } = deps;
  const owner = cfg.instanceId;
  // A claimed delivery may wait for a per-webhook slot before it is sent, so
  // its lease must outlast a full send and a wait behind one.
  const leaseMs = Math.max(cfg.leaseMs, 2 * cfg.deliveryTimeoutMs + 2_000);
  const inflightByWebhook = new Map<string, number>();
  const waiting = new Map<string, { job: Job; webhook: WebhookForDelivery; event: EventForDelivery }[]>();
  let inflight = 0;
  let waitingCount = 0;
  let running = true;
  let wake: (() => void) | null = null;
  const offWake = deps.bus.on('deliveries.due', () => wake?.());

  // After a response, a slot is freed when the HTTP attempt ends, not when
  // its record commits: the delivery stays leased until then, so nothing
  // claims it twice, and the recorder's batching (up to ~2 ms) does not hold
  // slots idle. After a timeout or a broken connection the slot is held
  // until the record commits, so the abandoned request is surely gone from
  // the receiver before the webhook's next one starts.
  const finished = (webhookId: string) => {
    inflight--;
    const left = (inflightByWebhook.get(webhookId) ?? 1) - 1;
    if (left) inflightByWebhook.set(webhookId, left);
    else inflightByWebhook.delete(webhookId);
    const queue = waiting.get(webhookId);
    const next = queue?.shift();
    if (next) {
      if (!queue!.length) waiting.delete(webhookId);
      waitingCount--;
      send(next.job, next.webhook, next.event);
    }
    wake?.();
  };
  const unrecorded = (err: unknown, deliveryId: string) =>
    logger.error({ err, deliveryId }, 'delivery attempt not recorded; it will be retried after its lease');

  const send = (job: Job, webhook: WebhookForDelivery, event: EventForDelivery) => {
    inflight++;
    inflightByWebhook.set(job.webhookId, (inflightByWebhook.get(job.webhookId) ?? 0) + 1);
    sender.attempt(job, webhook, event).then(
      (o) => {
        if (o.attempt.responseStatus !== null) {
          finished(job.webhookId);
          recorder.record(o).catch((err) => unrecorded(err, job.deliveryId));
        } else {
          recorder.record(o).then(
            () => finished(job.webhookId),
            (err) => {
              finished(job.webhookId);
              unrecorded(err, job.deliveryId);
            },
          );
        }
      },
      (err) => {
        finished(job.webhookId);
        unrecorded(err, job.deliveryId);
      },
    );
  };

  const dispatchClaimed = async (claimed: ClaimedDelivery[]) => {
    const { webhooks, events } = await loadForDelivery(
      sql,
      [...new Set(claimed.map((c) => c.webhookId))],
      [...new Set(claimed.map((c) => c.eventId))],
    );
    const orphaned: string[] = [];
    for (const c of claimed) {
      const webhook = webhooks.get(c.webhookId);
      const event = events.get(c.eventId);
      if (!webhook || !event || webhook.state !== 'ACTIVE') {
        orphaned.push(c.id);
        continue;
      }
      const job: Job = {
        deliveryId: c.id,
        accountId: c.accountId,
        webhookId: c.webhookId,
        eventId: c.eventId,
        attemptCount: c.attemptCount,
        trigger: 'SCHEDULED',
      };
      if ((inflightByWebhook.get(c.webhookId) ?? 0) < cfg.webhookConcurrency) send(job, webhook, event);
      else {
        const queue = waiting.get(c.webhookId);
        if (queue) queue.push({ job, webhook, event });
        else waiting.set(c.webhookId, [{ job, webhook, event }]);
        waitingCount++;
      }
    }
    // Turned off or deleted since the claim: paused, not dropped.
    await releaseClaims(sql, orphaned, owner);
  };

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  // Claiming is one statement for a whole batch; claiming one row per freed
  // slot would cost that statement per delivery. So a busy worker waits
  // until a quarter of its slots are free (an idle one claims at once).
  const claimAtLeast = Math.max(1, Math.min(cfg.workerBatchSize, Math.ceil(cfg.deliveryConcurrency / 4)));
  // Outcomes waiting to be written count against the slots, so a slow
  // database slows claiming instead of growing the recorder's queue.
  const recordBacklog = () => Math.max(0, recorder.pending - cfg.deliveryConcurrency);

  const loop = async () => {
    while (running) {
      const busy = inflight + waitingCount;
      const capacity = cfg.deliveryConcurrency - busy - recordBacklog();
      if (capacity <= 0 || (busy > 0 && capacity < claimAtLeast)) {
        await idle(cfg.workerPollMs);
        continue;
      }
      const saturated: string[] = [];
      for (const [id, n] of inflightByWebhook) if (n >= cfg.webhookConcurrency) saturated.push(id);
      const limit = Math.min(capacity, cfg.workerBatchSize);
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimDue(
          sql,
          { owner, limit, leaseMs, perWebhook: cfg.webhookConcurrency, excludeWebhookIds: saturated },
          new Date(),
        );
        if (claimed.length) await dispatchClaimed(claimed);
      } catch (err) {
        logger.error({ err }, 'claiming deliveries failed; retrying');
        await idle(Math.max(cfg.workerPollMs, 1000));
        continue;
      }
      if (claimed.length < limit) await idle(cfg.workerPollMs);
    }
  };
  const done = loop();

  return {
    get busy() {
      return inflight + waitingCount;
    },
    wake() {
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      offWake();
      await done;
      const unsent = [...waiting.values()].flat().map((w) => w.job.deliveryId);
      waiting.clear();
      waitingCount = 0;
      await releaseClaims(sql, unsent, owner).catch(() => undefined);
      while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
      await recorder.drain();
    },
  };
}
