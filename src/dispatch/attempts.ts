// Builds and sends one attempt, and decides what happens to the delivery next.
import type { AttemptStatus, AttemptTrigger, DeliveryStatus, Webhook } from '../generated/prisma/client.js';
import { config } from '../config.js';
import { newId } from '../security/ids.js';
import { signingSecrets } from '../webhooks/service.js';
import { postWebhook, type HttpResult } from './http.js';
import { githubSignature, standardSignature } from './signing.js';
import { VERSION } from '../version.js';

/** A DeliveryAttempt row, as stored, published live and returned by the API. */
export interface LiveAttempt {
  id: string;
  accountId: string;
  deliveryId: string;
  webhookId: string;
  attemptNumber: number;
  trigger: AttemptTrigger;
  status: AttemptStatus;
  requestUrl: string;
  requestHeaders: string;
  requestBody: string;
  responseStatus: number | null;
  responseHeaders: string | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

export interface EventForDelivery {
  id: string;
  type: string;
  payload: string | null;
  createdAt: Date;
}

export type WebhookForDelivery = Pick<
  Webhook,
  'id' | 'accountId' | 'name' | 'targetUrl' | 'headers' | 'properties' | 'secretCiphertext' | 'previousSecretCiphertext' | 'previousSecretExpiresAt' | 'state'
>;

export interface Job {
  deliveryId: string;
  accountId: string;
  webhookId: string;
  eventId: string;
  /** Attempts made before this one. */
  attemptCount: number;
  trigger: AttemptTrigger;
}

export interface Outcome {
  job: Job;
  attempt: LiveAttempt;
  /** The delivery's new status, or null to leave it as it is (a failed manual try). */
  deliveryStatus: DeliveryStatus | null;
  gone: boolean;
  failureLabel: string | null;
}

const RESERVED_BODY_KEYS = new Set(['id', 'type', 'timestamp', 'webhook', 'data']);

/**
 * The JSON body, built by concatenation: the event payload is already a JSON
 * string, and re-parsing it per delivery would cost more than the send.
 */
export function buildBody(event: EventForDelivery, webhook: Pick<Webhook, 'id' | 'name' | 'properties'>): string {
  let extra = '';
  const props = webhook.properties as Record<string, unknown> | null;
  if (props && typeof props === 'object') {
    for (const [k, v] of Object.entries(props)) {
      if (!RESERVED_BODY_KEYS.has(k) && v !== undefined) extra += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
    }
  }
  return (
    `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},` +
    `"timestamp":${JSON.stringify(event.createdAt.toISOString())},` +
    `"webhook":${JSON.stringify({ id: webhook.id, name: webhook.name })},` +
    `"data":${event.payload ?? 'null'}${extra}}`
  );
}

export function buildHeaders(event: EventForDelivery, webhook: WebhookForDelivery, body: string, now: Date): Record<string, string> {
  const secrets = signingSecrets(webhook, now);
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    ...(webhook.headers as Record<string, string>),
    'content-type': 'application/json',
    'user-agent': `Hookline/${VERSION}`,
    'webhook-id': event.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secrets, event.id, timestamp, body),
    'x-hookline-signature-256': githubSignature(secrets[0], body),
    'x-hookline-event': event.type,
  };
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

/** When to try again after failed scheduled attempt number `n`, or null when the schedule is used up. */
export function nextRetryDelay(n: number, retryAfterMs: number | null): number | null {
  const schedule = config().retryScheduleMs;
  if (n > schedule.length) return null;
  const base = schedule[n - 1];
  const delay = jitter(base);
  if (retryAfterMs === null) return delay;
  // Honour Retry-After, but never sooner than planned nor more than twice as late.
  return Math.min(Math.max(retryAfterMs, base), 2 * base);
}

function failureLabel(result: HttpResult): string | null {
  if (result.error && result.status === null) return `${result.error.code}: ${result.error.message}`.slice(0, 500);
  if (result.status !== null && (result.status < 200 || result.status >= 300)) return `HTTP ${result.status}`;
  return null;
}

export async function attempt(job: Job, webhook: WebhookForDelivery, event: EventForDelivery): Promise<Outcome> {
  const now = new Date();
  const body = buildBody(event, webhook);
  const headers = buildHeaders(event, webhook, body, now);
  const result = await postWebhook(webhook.targetUrl, headers, body);
  // One clock reading for the attempt's time and its retry time, so the
  // recorded gap is exactly the delay chosen (Retry-After included).
  const finished = new Date();
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  const attemptNumber = job.attemptCount + 1;
  let deliveryStatus: DeliveryStatus | null;
  let nextAttemptAt: Date | null = null;
  if (ok) deliveryStatus = 'SUCCEEDED';
  else if (job.trigger === 'MANUAL') deliveryStatus = null;
  else if (job.trigger === 'PING') deliveryStatus = 'FAILED';
  else {
    const delay = nextRetryDelay(attemptNumber, result.retryAfterMs);
    deliveryStatus = delay === null ? 'FAILED' : 'PENDING';
    if (delay !== null) nextAttemptAt = new Date(finished.getTime() + delay);
  }
  const label = ok ? null : failureLabel(result);
  return {
    job,
    deliveryStatus,
    gone: result.status === 410,
    failureLabel: label,
    attempt: {
      id: newId(),
      accountId: job.accountId,
      deliveryId: job.deliveryId,
      webhookId: job.webhookId,
      attemptNumber,
      trigger: job.trigger,
      status: ok ? 'SUCCEEDED' : 'FAILED',
      requestUrl: webhook.targetUrl,
      requestHeaders: JSON.stringify(headers),
      requestBody: body,
      responseStatus: result.status,
      responseHeaders: result.status === null ? null : JSON.stringify(result.headers),
      responseBody: result.body,
      durationMs: result.durationMs,
      error: result.error ? `${result.error.code}: ${result.error.message}`.slice(0, 1000) : ok ? null : label,
      nextAttemptAt,
      createdAt: finished,
    },
  };
}
