// GraphQL shortcuts shared by the dispatch tests.
import assert from 'node:assert/strict';
import type { Gql } from './graphql.js';

export const ATTEMPT_FIELDS = `id deliveryId webhookId attemptNumber trigger status requestUrl responseStatus error nextAttemptAt createdAt durationMs`;

export async function createEventType(gql: Gql, name: string): Promise<void> {
  const res = await gql(`mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { userErrors { message } } }`, {
    input: { name, group: 'Tests' },
  });
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.createEventType.userErrors, []);
}

export async function createWebhook(
  gql: Gql,
  input: { name: string; targetUrl: string; events: string[]; [k: string]: unknown },
): Promise<{ id: string; secret: string }> {
  const res = await gql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } userErrors { code field message } } }`,
    { input },
  );
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.createWebhook.userErrors, []);
  return { id: res.data.createWebhook.webhook.id, secret: res.data.createWebhook.secret };
}

export async function publish(
  gql: Gql,
  type: string,
  payload: unknown = {},
  idempotencyKey?: string,
): Promise<{ eventId: string; deliveryCount: number; duplicate: boolean }> {
  const res = await gql(
    `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount duplicate userErrors { code field message } } }`,
    { input: { type, payload, ...(idempotencyKey ? { idempotencyKey } : {}) } },
  );
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.publishEvent.userErrors, []);
  const p = res.data.publishEvent;
  return { eventId: p.event.id, deliveryCount: p.deliveryCount, duplicate: p.duplicate };
}

export interface AttemptRow {
  id: string;
  deliveryId: string;
  webhookId: string;
  attemptNumber: number;
  trigger: 'SCHEDULED' | 'MANUAL' | 'PING';
  status: 'SUCCEEDED' | 'FAILED';
  requestUrl: string;
  responseStatus: number | null;
  error: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  durationMs: number;
}

export interface DeliveryRow {
  id: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  event: { id: string; type: string };
}

export interface WebhookView {
  id: string;
  state: 'ACTIVE' | 'STOPPED' | 'TOO_MANY_ERRORS';
  stateReason: string | null;
  deliveries: DeliveryRow[];
  /** Oldest first. */
  attempts: AttemptRow[];
  stats: {
    succeededCount: number;
    failedCount: number;
    pendingCount: number;
    consecutiveFailures: number;
    lastAttemptAt: string | null;
    lastSuccessAt: string | null;
  };
}

/**
 * A webhook with its deliveries and attempts (up to 100 of each), in queries
 * small enough for the cost limit. The deliveries are read first and the
 * rest after: callers wait on delivery statuses, and a status and the
 * attempt, streak and stats it came with commit together, so the later
 * reads see at least that commit. Read side by side, the webhook or its
 * attempts could come from before it (seen on PostgreSQL under load).
 */
export async function webhookView(gql: Gql, id: string): Promise<WebhookView> {
  const deliveries = await gql(
    `query($id: ID!) { webhook(id: $id) { deliveries(first: 100) { nodes { id status attemptCount nextAttemptAt lastAttemptAt event { id type } } } } }`,
    { id },
  );
  const [head, attempts] = await Promise.all([
    gql(
      `query($id: ID!) { webhook(id: $id) { id state stateReason
        stats { succeededCount failedCount pendingCount consecutiveFailures lastAttemptAt lastSuccessAt } } }`,
      { id },
    ),
    gql(`query($id: ID!) { webhook(id: $id) { deliveryAttempts(first: 100) { nodes { ${ATTEMPT_FIELDS} } } } }`, { id }),
  ]);
  for (const r of [head, deliveries, attempts]) assert.deepEqual(r.errors, undefined);
  return {
    ...head.data.webhook,
    deliveries: deliveries.data.webhook.deliveries.nodes,
    attempts: [...attempts.data.webhook.deliveryAttempts.nodes].reverse(),
  };
}
