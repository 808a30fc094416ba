// The delivery worker: claims due deliveries in batches, sends them with a
// global and a per-webhook concurrency limit, and records every attempt.
// The queue is the Delivery table; the worker holds only IDs between steps
// and re-reads the webhook and event before sending.
import { config } from '../config.js';
import { prisma } from '../db/client.js';
import { Params, toDate } from '../db/sql.js';
import { logger } from '../logger.js';
import { attempt, type EventForDelivery, type Job, type WebhookForDelivery } from './attempts.js';
import { claimDue, releaseClaims, type ClaimedDelivery } from './claim.js';
import { closeDeliveryAgent } from './http.js';
import { deliverySignals } from './publish.js';
import { drainRecords, record } from './record.js';
import { startRetention } from './retention.js';

export interface Worker {
  stop(): Promise<void>;
  /** Deliveries being sent or waiting for a per-webhook slot. */
  readonly busy: number;
}

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

/**
 * The webhooks and events a batch of deliveries needs, in two indexed reads.
 * Hand-written: this runs for every claimed batch.
 */
export async function loadForDelivery(webhookIds: string[], eventIds: string[]) {
  const pw = new Params();
  const pe = new Params();
  const [webhooks, events] = await Promise.all([
    prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT "id", "accountId", "name", "targetUrl", "headers", "properties", "secretCiphertext",
         "previousSecretCiphertext", "previousSecretExpiresAt", "state"
       FROM "Webhook" WHERE "id" IN (${pw.list(webhookIds)})`,
      ...pw.values,
    ),
    prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT "id", "type", "payload", "createdAt" FROM "Event" WHERE "id" IN (${pe.list(eventIds)})`,
      ...pe.values,
    ),
  ]);
  return {
    webhooks: new Map<string, WebhookForDelivery>(
      webhooks.map((w) => [
        String(w.id),
        {
          id: String(w.id),
          accountId: String(w.accountId),
          name: String(w.name),
          targetUrl: String(w.targetUrl),
          headers: json(w.headers) as WebhookForDelivery['headers'],
          properties: json(w.properties) as WebhookForDelivery['properties'],
          secretCiphertext: String(w.secretCiphertext),
          previousSecretCiphertext: (w.previousSecretCiphertext as string | null) ?? null,
          previousSecretExpiresAt: toDate(w.previousSecretExpiresAt),
          state: w.state as WebhookForDelivery['state'],
        },
      ]),
    ),
    events: new Map<string, EventForDelivery>(
      events.map((e) => [
        String(e.id),
        { id: String(e.id), type: String(e.type), payload: (e.payload as string | null) ?? null, createdAt: toDate(e.createdAt)! },
      ]),
    ),
  };
}

export function startWorker(): Worker {
  const cfg = config();
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
  const onWake = () => wake?.();
  deliverySignals.on('wake', onWake);
  const retention = startRetention();

  const send = (job: Job, webhook: WebhookForDelivery, event: EventForDelivery) => {
    inflight++;
    inflightByWebhook.set(job.webhookId, (inflightByWebhook.get(job.webhookId) ?? 0) + 1);
    void attempt(job, webhook, event)
      .then(record)
      .catch((err) => logger.error({ err, deliveryId: job.deliveryId }, 'delivery attempt not recorded; it will be retried after its lease'))
      .finally(() => {
        inflight--;
        const left = (inflightByWebhook.get(job.webhookId) ?? 1) - 1;
        if (left) inflightByWebhook.set(job.webhookId, left);
        else inflightByWebhook.delete(job.webhookId);
        const next = waiting.get(job.webhookId)?.shift();
        if (next) {
          waitingCount--;
          send(next.job, next.webhook, next.event);
        }
        wake?.();
      });
  };

  const dispatchClaimed = async (claimed: ClaimedDelivery[]) => {
    const { webhooks, events } = await loadForDelivery(
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
      const job: Job = { deliveryId: c.id, accountId: c.accountId, webhookId: c.webhookId, eventId: c.eventId, attemptCount: c.attemptCount, trigger: 'SCHEDULED' };
      if ((inflightByWebhook.get(c.webhookId) ?? 0) < cfg.webhookConcurrency) send(job, webhook, event);
      else {
        waiting.set(c.webhookId, [...(waiting.get(c.webhookId) ?? []), { job, webhook, event }]);
        waitingCount++;
      }
    }
    // Turned off or deleted since the claim: paused, not dropped.
    await releaseClaims(orphaned, owner);
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

  const loop = async () => {
    while (running) {
      const capacity = cfg.deliveryConcurrency - inflight - waitingCount;
      if (capacity <= 0) {
        await idle(cfg.workerPollMs);
        continue;
      }
      const saturated = [...inflightByWebhook].filter(([, n]) => n >= cfg.webhookConcurrency).map(([id]) => id);
      const limit = Math.min(capacity, cfg.workerBatchSize);
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimDue({ owner, limit, leaseMs, perWebhook: cfg.webhookConcurrency, excludeWebhookIds: saturated });
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
    async stop() {
      running = false;
      wake?.();
      deliverySignals.off('wake', onWake);
      await retention.stop();
      await done;
      const unsent = [...waiting.values()].flat().map((w) => w.job.deliveryId);
      waiting.clear();
      waitingCount = 0;
      await releaseClaims(unsent, owner).catch(() => undefined);
      while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
      await drainRecords();
      await closeDeliveryAgent();
    },
  };
}
