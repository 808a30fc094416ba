// What a team's own webhook worker does per job, shared by the queue
// baselines (bench/roles/bullmq.ts, bench/roles/graphile.ts): build the same
// JSON body Hookline sends, sign it in Standard Webhooks form, and POST it
// with undici to the bench receiver. Plus the publisher side: 8 loops, each
// turning one event into 10 jobs (one per webhook) per enqueue call.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { now } from './clock.js';
import { samplePayload } from './payload.js';

/** Webhooks per event: the fan-out of the delivery scenario. */
export const BASELINE_FANOUT = 10;
/** Worker concurrency: Hookline's effective delivery concurrency in scenario 1. */
export const BASELINE_CONCURRENCY = 64;
export const BASELINE_EVENT_TYPE = 'bench.delivery';

// The same pool settings as Hookline's delivery agent and the raw baseline
// (bench/roles/agent.ts), so no sender gets a connection-handling advantage.
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
const TIMEOUT_MS = 15_000;

export interface BaselineWebhook {
  id: string;
  name: string;
  url: string;
  /** HMAC key: the bytes of a "whsec_" secret, decoded once. */
  key: Buffer;
  headers: Record<string, string>;
  properties: Record<string, unknown>;
}

/** What a job carries: the event and which webhook to send it to. */
export interface DeliveryJob {
  webhookId: string;
  event: BaselineEvent;
}

export interface BaselineEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * The ten webhooks of the delivery scenario, as a team's worker would hold
 * them: configuration cached in memory (names, target URLs, custom headers
 * and body properties as the Hookline scenario creates them; a fresh
 * 32-byte secret each).
 */
export function baselineWebhooks(receiverBase: string): Map<string, BaselineWebhook> {
  const hooks = new Map<string, BaselineWebhook>();
  for (let i = 0; i < BASELINE_FANOUT; i++) {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const hook: BaselineWebhook = {
      id: randomUUID(),
      name: `delivery-${String(i).padStart(4, '0')}`,
      url: `${receiverBase}/hook/${i}`,
      key: Buffer.from(secret.slice('whsec_'.length), 'base64'),
      headers: { 'x-bench': 'hookline' },
      properties: { tenant: 'bench', region: 'eu-west' },
    };
    hooks.set(hook.id, hook);
  }
  return hooks;
}

export function newEvent(): BaselineEvent {
  return { id: randomUUID(), type: BASELINE_EVENT_TYPE, timestamp: new Date().toISOString(), data: samplePayload() };
}

export function jobsFor(event: BaselineEvent, hooks: Map<string, BaselineWebhook>): DeliveryJob[] {
  return [...hooks.keys()].map((webhookId) => ({ webhookId, event }));
}

/**
 * One delivery: Hookline's body shape ({ id, type, timestamp, webhook: { id,
 * name }, data, ...properties }), a Standard Webhooks signature
 * ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"), one POST. A non-2xx
 * answer or a network error throws, so the queue retries the job.
 */
export async function deliver(job: DeliveryJob, hooks: Map<string, BaselineWebhook>): Promise<{ status: number; ms: number }> {
  const hook = hooks.get(job.webhookId);
  if (!hook) throw new Error(`unknown webhook ${job.webhookId}`);
  const e = job.event;
  const body = JSON.stringify({
    id: e.id,
    type: e.type,
    timestamp: e.timestamp,
    webhook: { id: hook.id, name: hook.name },
    data: e.data,
    ...hook.properties,
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v1,${createHmac('sha256', hook.key).update(`${e.id}.${timestamp}.${body}`).digest('base64')}`;
  const t = performance.now();
  const res = await request(hook.url, {
    method: 'POST',
    headers: {
      ...hook.headers,
      'content-type': 'application/json',
      'user-agent': 'bench-queue-baseline/1',
      'webhook-id': e.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    body,
    dispatcher,
    signal: AbortSignal.timeout(TIMEOUT_MS),
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
  return { status: res.statusCode, ms: performance.now() - t };
}

export interface PublishResult {
  ok: number;
  failed: number;
  firstError: string | null;
  startAt: number;
  endAt: number;
}

/**
 * `events` events from `publishers` concurrent loops; each loop publishes its
 * next event (one enqueue call of 10 jobs) as soon as the previous one is
 * acknowledged, like the load generator's closed loop against Hookline.
 */
export async function publishLoops(
  events: number,
  publishers: number,
  publish: (event: BaselineEvent) => Promise<void>,
): Promise<PublishResult> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | null = null;
  const startAt = now();
  const loop = async () => {
    while (next < events) {
      next++;
      try {
        await publish(newEvent());
        ok++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(publishers, events) }, loop));
  return { ok, failed, firstError, startAt, endAt: now() };
}

/** Polls `isEmpty` every 50 ms until it says so or `timeoutMs` passes. */
export async function waitUntil(isEmpty: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isEmpty()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
