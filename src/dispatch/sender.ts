// Builds, signs and sends one attempt, and turns the result into an outcome
// for the recorder. Runs in the delivery thread (scheduled deliveries) and
// on the API thread (pings and manual redeliveries).
import { systemClock, type Clock } from '../base/clock.js';
import { HeaderVault, maskHeaders, markedNames, type HeaderMap } from '../base/customHeaders.js';
import { newMonotonicId } from '../base/ids.js';
import type { SecretBox } from '../base/secrets.js';
import { packageVersion } from '../base/version.js';
import type { AttemptRecord } from '../db/stores/attempts.js';
import type { StoredEvent } from '../db/stores/events.js';
import type { Webhook } from '../db/stores/webhooks.js';
import type { AttemptTrigger } from '../generated/prisma/client.js';
import type { DeliveryClient } from './http.js';
import { decide, errorClassOf, failureLabel, isSuccess, retryScheduleFor, type Decision } from './policy.js';
import { githubSignature, standardSignature } from './signing.js';
import { tracingOn } from '../base/tracing.js';
import { traceAttempt } from './tracing.js';

export type WebhookForDelivery = Pick<
  Webhook,
  | 'id'
  | 'accountId'
  | 'name'
  | 'targetUrl'
  | 'headersCiphertext'
  | 'sensitiveHeaders'
  | 'properties'
  | 'secretCiphertext'
  | 'previousSecretCiphertext'
  | 'previousSecretExpiresAt'
  | 'state'
  | 'retrySchedule'
  | 'timeoutMs'
  | 'maxConcurrency'
  | 'rateLimit'
  | 'ordered'
  | 'gated'
>;

export type EventForDelivery = Pick<StoredEvent, 'id' | 'type' | 'payload' | 'createdAt'>;

export interface Job {
  deliveryId: string;
  accountId: string;
  webhookId: string;
  eventId: string;
  /** Attempts made before this one. */
  attemptCount: number;
  trigger: AttemptTrigger;
}

export interface Outcome extends Decision {
  job: Job;
  attempt: AttemptRecord;
  failureLabel: string | null;
  /** The event's type: announced with the attempt, for live filters by event type. */
  eventType: string;
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

export interface SenderOptions {
  box: SecretBox;
  client: DeliveryClient;
  retryScheduleMs: readonly number[];
  /** When attempts happen and retries fall due (tests move it); the real time if unset. */
  clock?: Clock;
}

/** What goes on the wire, and what the attempt log keeps of it (sensitive custom values masked). */
export interface RequestHeaders {
  sent: Record<string, string>;
  recorded: Record<string, string>;
}

export class Sender {
  /** Decrypted secrets by ciphertext: rotation writes a new ciphertext, so entries never go stale. */
  private readonly secrets = new Map<string, string>();
  /** Opened custom headers by webhook: an entry is used only while the webhook's sealed headers are unchanged. */
  private readonly headers: HeaderVault;

  constructor(private readonly opts: SenderOptions) {
    this.headers = new HeaderVault(opts.box);
  }

  /** Drops a changed or deleted webhook's opened headers. */
  forgetWebhook(id: string): void {
    this.headers.forget(id);
  }

  private decrypt(ciphertext: string): string {
    let plain = this.secrets.get(ciphertext);
    if (plain === undefined) {
      if (this.secrets.size > 10_000) this.secrets.clear();
      plain = this.opts.box.decrypt(ciphertext);
      this.secrets.set(ciphertext, plain);
    }
    return plain;
  }

  /** The secrets a delivery is signed with now: the current one, then any still in grace. */
  signingSecrets(webhook: Pick<Webhook, 'secretCiphertext' | 'previousSecretCiphertext' | 'previousSecretExpiresAt'>, now: Date): string[] {
    const secrets = [this.decrypt(webhook.secretCiphertext)];
    if (webhook.previousSecretCiphertext && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
      secrets.push(this.decrypt(webhook.previousSecretCiphertext));
    }
    return secrets;
  }

  buildHeaders(event: EventForDelivery, webhook: WebhookForDelivery, body: string, now: Date): RequestHeaders {
    const secrets = this.signingSecrets(webhook, now);
    const timestamp = Math.floor(now.getTime() / 1000);
    const own = {
      'content-type': 'application/json',
      'user-agent': `Hookline/${packageVersion()}`,
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      // Standard Webhooks carries one signature per secret, so receivers can switch secrets at any time.
      'webhook-signature': standardSignature(secrets, event.id, timestamp, body),
      // This header holds one signature. During a rotation's grace period it
      // stays with the old secret (the last of `secrets`), which receivers
      // still check against; the new secret takes over when the grace ends.
      'x-hookline-signature-256': githubSignature(secrets[secrets.length - 1], body),
      'x-hookline-event': event.type,
    };
    // Most webhooks have no custom headers: then what is sent is what is
    // recorded, with no copies (the spreads below showed in the delivery thread's profile).
    if (!webhook.headersCiphertext) return { sent: own, recorded: own };
    const custom: HeaderMap = this.headers.open(webhook.id, webhook.headersCiphertext);
    // Our own headers win over custom ones (validation refuses those names; older rows may hold them).
    return {
      sent: { ...custom, ...own },
      recorded: { ...maskHeaders(custom, markedNames(webhook.sensitiveHeaders)), ...own },
    };
  }

  /** Sends one attempt; with tracing on, inside a span of its own (./tracing.ts). */
  attempt(job: Job, webhook: WebhookForDelivery, event: EventForDelivery): Promise<Outcome> {
    if (!tracingOn()) return this.send(job, webhook, event);
    return traceAttempt(job, webhook, event, () => this.send(job, webhook, event));
  }

  private async send(job: Job, webhook: WebhookForDelivery, event: EventForDelivery): Promise<Outcome> {
    const body = buildBody(event, webhook);
    const clock = this.opts.clock ?? systemClock;
    const headers = this.buildHeaders(event, webhook, body, clock.now());
    const result = await this.opts.client.post(webhook.targetUrl, headers.sent, body, webhook.timeoutMs ?? undefined);
    // One clock reading for the attempt's time and its retry time, so the
    // recorded gap is exactly the delay chosen (Retry-After included).
    const finished = clock.now();
    const attemptNumber = job.attemptCount + 1;
    const schedule = retryScheduleFor(webhook.retrySchedule, this.opts.retryScheduleMs);
    const decision = decide(result, job.trigger, attemptNumber, schedule, finished, Math.random());
    const ok = isSuccess(result);
    const label = ok ? null : failureLabel(result);
    return {
      ...decision,
      job,
      failureLabel: label,
      eventType: event.type,
      attempt: {
        id: newMonotonicId(),
        accountId: job.accountId,
        deliveryId: job.deliveryId,
        webhookId: job.webhookId,
        attemptNumber,
        trigger: job.trigger,
        status: ok ? 'SUCCEEDED' : 'FAILED',
        requestUrl: webhook.targetUrl,
        // Never a credential: sensitive custom values are recorded masked.
        requestHeaders: JSON.stringify(headers.recorded),
        requestBody: body,
        responseStatus: result.status,
        responseHeaders: result.status === null ? null : JSON.stringify(result.headers),
        responseBody: result.body,
        durationMs: result.durationMs,
        error: result.error ? `${result.error.code}: ${result.error.message}`.slice(0, 1000) : ok ? null : label,
        errorClass: errorClassOf(result),
        nextAttemptAt: decision.nextAttemptAt,
        createdAt: finished,
      },
    };
  }

  close(): Promise<void> {
    return this.opts.client.close();
  }
}
