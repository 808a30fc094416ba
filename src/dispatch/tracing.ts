// The spans of delivery: one per publish (a PRODUCER span, the child of the
// GraphQL operation that published) and one per delivery attempt (CLIENT,
// in the delivery thread or, for pings and redeliveries, the API thread).
// The queue between them is the Delivery table, which carries no trace
// context, so the two are linked by the event id, on both as
// `messaging.message.id` (and `hookline.event.id`): every attempt of an
// event can be found from its publish, and the other way round. Callers
// test tracingOn() first, so with tracing off nothing here runs.
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { tracer } from '../base/tracing.js';
import type { Result } from '../base/errors.js';
import type { Published } from '../outbox/publish.js';
import type { EventForDelivery, Job, Outcome, WebhookForDelivery } from './sender.js';

const MESSAGING = { 'messaging.system': 'hookline', 'messaging.destination.name': 'deliveries' };

/** Runs `publish` inside a span that records the event it made (or the refusal). */
export function tracePublish(accountId: string, type: string, publish: () => Promise<Result<Published>>): Promise<Result<Published>> {
  return tracer().startActiveSpan(
    `publish ${type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { ...MESSAGING, 'messaging.operation.type': 'send', 'hookline.account.id': accountId, 'hookline.event.type': type },
    },
    async (span) => {
      try {
        const r = await publish();
        if (r.ok) {
          span.setAttributes({
            'messaging.message.id': r.value.event.id,
            'hookline.event.id': r.value.event.id,
            'hookline.delivery.count': r.value.deliveryCount,
            'hookline.publish.duplicate': r.value.duplicate,
          });
        } else span.setStatus({ code: SpanStatusCode.ERROR, message: r.errors.map((e) => e.message).join('; ') });
        return r;
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function failed(span: Span, err: unknown) {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err).split('\n')[0] });
}

/** Runs one attempt inside a span carrying its event, delivery, webhook and result. */
export function traceAttempt(
  job: Job,
  webhook: WebhookForDelivery,
  event: EventForDelivery,
  send: () => Promise<Outcome>,
): Promise<Outcome> {
  let host = '';
  try {
    host = new URL(webhook.targetUrl).host;
  } catch {
    // A stored URL always parses; the span goes without it otherwise.
  }
  return tracer().startActiveSpan(
    `deliver ${event.type}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...MESSAGING,
        'messaging.operation.type': 'process',
        'messaging.message.id': event.id,
        'hookline.event.id': event.id,
        'hookline.event.type': event.type,
        'hookline.delivery.id': job.deliveryId,
        'hookline.webhook.id': job.webhookId,
        'hookline.account.id': job.accountId,
        'hookline.attempt.number': job.attemptCount + 1,
        'hookline.attempt.trigger': job.trigger,
        'http.request.method': 'POST',
        // The host only: a target URL's path or query may carry a credential.
        'server.address': host,
      },
    },
    async (span) => {
      try {
        const o = await send();
        const a = o.attempt;
        if (a.responseStatus !== null) span.setAttribute('http.response.status_code', a.responseStatus);
        span.setAttributes({ 'hookline.attempt.status': a.status, 'hookline.attempt.id': a.id });
        if (a.status !== 'SUCCEEDED') {
          span.setAttribute('error.type', a.errorClass ?? 'NETWORK');
          span.setStatus({ code: SpanStatusCode.ERROR, message: (a.error ?? 'failed').slice(0, 200) });
        }
        return o;
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
