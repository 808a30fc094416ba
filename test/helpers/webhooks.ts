// Shared GraphQL documents and small helpers for the webhook-management tests.
import assert from 'node:assert/strict';
import type { Gql, GqlResponse } from './graphql.js';

export const WEBHOOK_FIELDS = `
  id name targetUrl events state isActive stateReason stateChangedAt type headers properties
  isApplicationManaged managingApplication
  owner { id name } registered registeredAssociate { id name } updated updatedAssociate { id name }
`;

export const USER_ERRORS = 'userErrors { field message code }';

export const CREATE_WEBHOOK = `mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } ${USER_ERRORS} }
}`;
export const UPDATE_WEBHOOK = `mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { webhook { ${WEBHOOK_FIELDS} } ${USER_ERRORS} }
}`;
export const SET_ACTIVE = `mutation($id: ID!, $active: Boolean!) {
  setWebhookActive(id: $id, active: $active) { webhook { ${WEBHOOK_FIELDS} } ${USER_ERRORS} }
}`;
export const DELETE_WEBHOOK = `mutation($id: ID!) { deleteWebhook(id: $id) { deletedWebhookId ${USER_ERRORS} } }`;
export const DELETE_BY_URL = `mutation($url: String!) { deleteWebhooksByUrl(url: $url) { deletedWebhookIds ${USER_ERRORS} } }`;
export const ROTATE = `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } ${USER_ERRORS} } }`;
export const GET_WEBHOOK = `query($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } }`;
export const CREATE_API_KEY = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id name application prefix lastFour revoked revokedAt createdAt associate { id } createdBy { id } } ${USER_ERRORS} }
}`;
export const REVOKE_API_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id revoked revokedAt } ${USER_ERRORS} } }`;
export const CREATE_ASSOCIATE = `mutation($input: CreateAssociateInput!) {
  createAssociate(input: $input) { associate { id name email role createdAt } ${USER_ERRORS} }
}`;
export const CREATE_EVENT_TYPE = `mutation($input: CreateEventTypeInput!) {
  createEventType(input: $input) { eventType { id name group description builtIn } ${USER_ERRORS} }
}`;

export interface UserErrorShape {
  field: string[] | null;
  message: string;
  code: string;
}

/** A valid create input; override any field. Names are unique per call. */
let counter = 0;
export function webhookInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    name: `Hook ${counter}`,
    targetUrl: `https://hooks.example.com/h/${counter}`,
    events: ['webhook.created'],
    ...overrides,
  };
}

/** Asserts a 200 response without GraphQL errors and returns its data. */
export function okData<T = any>(res: GqlResponse<T>): T {
  assert.equal(res.status, 200, `HTTP ${res.status}: ${JSON.stringify(res.errors)}`);
  assert.equal(res.errors, undefined, `unexpected GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The payload of a mutation that must succeed (no errors, no userErrors). */
export function payloadOk(res: GqlResponse, field: string): any {
  const payload = (okData(res) as Record<string, any>)[field];
  assert.deepEqual(payload.userErrors, [], `${field} userErrors: ${JSON.stringify(payload.userErrors)}`);
  return payload;
}

/**
 * The userErrors of a mutation that must be refused the expected way: HTTP 200,
 * no GraphQL errors and no masked "Unexpected error".
 */
export function refused(res: GqlResponse, field: string): UserErrorShape[] {
  assert.equal(res.status, 200, `HTTP ${res.status}: ${JSON.stringify(res.errors)}`);
  assert.equal(res.errors, undefined, `unexpected GraphQL errors: ${JSON.stringify(res.errors)}`);
  const payload = (res.data as Record<string, any>)[field];
  assert.ok(payload.userErrors.length > 0, `${field} was expected to fail but returned ${JSON.stringify(payload)}`);
  for (const e of payload.userErrors as UserErrorShape[]) assert.doesNotMatch(e.message, /unexpected error/i);
  return payload.userErrors;
}

/** Asserts exactly one user error with this code and field path. */
export function assertUserError(
  res: GqlResponse,
  mutation: string,
  code: string,
  field: string[] | null,
  message?: RegExp,
): UserErrorShape {
  const errors = refused(res, mutation);
  const match = errors.find((e) => e.code === code && JSON.stringify(e.field) === JSON.stringify(field));
  assert.ok(match, `expected ${code} on ${JSON.stringify(field)}, got ${JSON.stringify(errors)}`);
  if (message) assert.match(match.message, message);
  return match;
}

export async function createWebhook(gql: Gql, overrides: Record<string, unknown> = {}): Promise<{ secret: string; webhook: any }> {
  const payload = payloadOk(await gql(CREATE_WEBHOOK, { input: webhookInput(overrides) }), 'createWebhook');
  return { secret: payload.secret, webhook: payload.webhook };
}

export async function createApiKey(gql: Gql, input: Record<string, unknown>): Promise<{ key: string; apiKey: any }> {
  const payload = payloadOk(await gql(CREATE_API_KEY, { input }), 'createApiKey');
  return { key: payload.key, apiKey: payload.apiKey };
}

export async function createAssociate(gql: Gql, input: Record<string, unknown>): Promise<any> {
  return payloadOk(await gql(CREATE_ASSOCIATE, { input }), 'createAssociate').associate;
}
