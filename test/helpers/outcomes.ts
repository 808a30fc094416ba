// Outcomes built by hand, for tests that drive a Recorder directly: a
// manual try of a delivery already made, as the main thread's recorder
// writes one (no change to the delivery's status or schedule).
import { newMonotonicId } from '../../src/base/ids.js';
import type { Outcome } from '../../src/dispatch/sender.js';

export interface DeliveryRef {
  id: string;
  accountId: string;
  webhookId: string;
  eventId: string;
  attemptCount: number;
}

/** A MANUAL attempt of `d` that succeeded (200) or failed (HTTP 500), sent to `requestUrl`. */
export function manualOutcome(d: DeliveryRef, o: { eventType: string; requestUrl: string; succeeded: boolean }): Outcome {
  const { succeeded } = o;
  return {
    job: {
      deliveryId: d.id,
      accountId: d.accountId,
      webhookId: d.webhookId,
      eventId: d.eventId,
      attemptCount: d.attemptCount,
      trigger: 'MANUAL',
    },
    deliveryStatus: null,
    nextAttemptAt: null,
    gone: false,
    failureLabel: succeeded ? null : 'HTTP 500',
    eventType: o.eventType,
    attempt: {
      id: newMonotonicId(),
      accountId: d.accountId,
      deliveryId: d.id,
      webhookId: d.webhookId,
      attemptNumber: d.attemptCount + 1,
      trigger: 'MANUAL',
      status: succeeded ? 'SUCCEEDED' : 'FAILED',
      requestUrl: o.requestUrl,
      requestHeaders: '{}',
      requestBody: '{}',
      responseStatus: succeeded ? 200 : 500,
      responseHeaders: '{}',
      responseBody: '',
      durationMs: 1,
      error: succeeded ? null : 'HTTP 500',
      errorClass: succeeded ? null : 'HTTP_ERROR',
      nextAttemptAt: null,
      createdAt: new Date(),
    },
  };
}
