// A minimal GraphQL-over-HTTP client for setting up benchmark data (not for
// measured load: that comes from the load-generator process).
import { request } from 'undici';
import { API_KEY } from './server.js';
import { samplePayload } from './payload.js';

export { samplePayload };

/** Request headers with an API key: the bootstrap account's unless another account's key is given. */
export function headers(apiKey = API_KEY): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey };
}

export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, apiKey?: string): Promise<T> {
  const res = await request(url, {
    method: 'POST',
    headers: headers(apiKey),
    body: JSON.stringify({ query, variables }),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const body = (await res.body.json()) as { data: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL error: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

/** Runs a mutation and fails on userErrors, so setup problems surface at once. */
export async function mutate<T = any>(
  url: string,
  query: string,
  field: string,
  variables?: Record<string, unknown>,
  apiKey?: string,
): Promise<T> {
  const data = await gql<Record<string, any>>(url, query, variables, apiKey);
  const errs = data[field]?.userErrors;
  if (errs?.length) throw new Error(`${field}: ${errs.map((e: { message: string }) => e.message).join('; ')}`);
  return data[field] as T;
}

export async function createEventType(url: string, name: string, apiKey?: string): Promise<void> {
  await mutate(
    url,
    `mutation($n: String!) { createEventType(input: { name: $n, group: "Bench" }) { userErrors { message } } }`,
    'createEventType',
    { n: name },
    apiKey,
  );
}

/** Creates `count` webhooks subscribed to `event`, `parallel` at a time; returns their IDs in creation order. */
export async function createWebhooks(
  url: string,
  opts: {
    count: number;
    event: string;
    targetUrl: (i: number) => string;
    namePrefix: string;
    parallel?: number;
    apiKey?: string;
    /** More input fields for webhook i (such as a content filter). */
    input?: (i: number) => Record<string, unknown>;
  },
): Promise<string[]> {
  const ids: string[] = new Array(opts.count);
  let next = 0;
  const worker = async () => {
    while (next < opts.count) {
      const i = next++;
      const r = await mutate<{ webhook: { id: string } }>(
        url,
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }`,
        'createWebhook',
        {
          input: {
            name: `${opts.namePrefix}-${String(i).padStart(4, '0')}`,
            targetUrl: opts.targetUrl(i),
            events: [opts.event],
            headers: { 'x-bench': 'hookline' },
            properties: { tenant: 'bench', region: 'eu-west' },
            ...opts.input?.(i),
          },
        },
        opts.apiKey,
      );
      ids[i] = r.webhook.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel ?? 4, opts.count) }, worker));
  return ids;
}

export const PUBLISH_MUTATION =
  'mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount userErrors { message } } }';

export function publishBody(type: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ query: PUBLISH_MUTATION, variables: { input: { type, payload: samplePayload(extra) } } });
}
