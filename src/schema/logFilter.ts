// The delivery log's filter inputs, shared by the account-wide pages, the
// per-parent pages and the live streams (src/schema/delivery.ts). Checked by
// src/domain/log/filter.ts.
import { builder } from './builder.js';
import { AttemptStatus, AttemptTrigger, DeliveryStatus } from '../generated/prisma/enums.js';
import { ERROR_CLASSES } from '../dispatch/policy.js';
import type { DeliveryAttemptFilterInput, DeliveryFilterInput } from '../domain/log/filter.js';

export const DeliveryStatusEnum = builder.enumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'PENDING is waiting for its next try (or paused while its webhook is off); SUCCEEDED and FAILED are final',
});
export const AttemptStatusEnum = builder.enumType(AttemptStatus, { name: 'DeliveryAttemptStatus' });
export const AttemptTriggerEnum = builder.enumType(AttemptTrigger, {
  name: 'DeliveryAttemptTrigger',
  description: 'SCHEDULED by the retry schedule, MANUAL from redeliver, PING from pingWebhook',
});
export const ErrorClassEnum = builder.enumType('DeliveryErrorClass', {
  description:
    'Why an attempt failed: no complete answer within the timeout, connection refused or reset, DNS, TLS, a private address refused, a redirect (not followed), another network error, or an HTTP status outside 2xx (HTTP_ERROR)',
  values: ERROR_CLASSES,
});

export const DeliveryFilterRef = builder.inputType('DeliveryFilter', {
  description: 'Deliveries matching every condition given; a list matches any of its values (lists must not be empty)',
  fields: (t) => ({
    webhookIds: t.idList(),
    eventTypes: t.stringList(),
    eventId: t.id(),
    statuses: t.field({ type: [DeliveryStatusEnum] }),
    from: t.field({ type: 'DateTime', description: 'Created at or after' }),
    to: t.field({ type: 'DateTime', description: 'Created before' }),
  }),
});

export const DeliveryAttemptFilterRef = builder.inputType('DeliveryAttemptFilter', {
  description: 'Attempts matching every condition given; a list matches any of its values (lists must not be empty)',
  fields: (t) => ({
    webhookIds: t.idList(),
    eventTypes: t.stringList(),
    eventId: t.id(),
    statuses: t.field({ type: [AttemptStatusEnum] }),
    triggers: t.field({ type: [AttemptTriggerEnum] }),
    httpStatusFrom: t.int({ description: 'Lowest HTTP status of the answer (100–599); attempts without an answer never match' }),
    httpStatusTo: t.int({ description: 'Highest HTTP status of the answer (100–599), inclusive' }),
    errorClasses: t.field({ type: [ErrorClassEnum], description: 'Failed attempts of these classes' }),
    from: t.field({ type: 'DateTime', description: 'Made at or after' }),
    to: t.field({ type: 'DateTime', description: 'Made before' }),
    search: t.string({ description: 'Text in the first KiB of the response body, ignoring case (1–200 characters)' }),
  }),
});

// Pothos types the inputs; the domain's input types are the same shapes.
export const deliveryFilterInput = (f: unknown) => f as DeliveryFilterInput | null | undefined;
export const attemptFilterInput = (f: unknown) => f as DeliveryAttemptFilterInput | null | undefined;
