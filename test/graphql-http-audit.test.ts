// Runs the GraphQL-over-HTTP spec audits from the graphql-http package (a
// third-party oracle) against a real running server, with a valid API key on
// every request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer, type AuditResult } from 'graphql-http';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

/** fetch, with the API key added to whatever headers the audit sends. */
const authedFetch: typeof fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('x-api-key', BOOTSTRAP_KEY);
  return fetch(input, { ...init, headers });
};

async function describeFailure(r: AuditResult): Promise<string> {
  if (r.status === 'ok') return '';
  let body = '';
  try {
    body = (await r.response.clone().text()).slice(0, 300);
  } catch {
    body = '(body unreadable)';
  }
  return `[${r.status}] ${r.id} ${r.name}: ${r.reason}\n    HTTP ${r.response.status} ${r.response.headers.get('content-type') ?? ''} ${body}`;
}

test('the audit fetch authenticates (a key-only query answers 200)', async () => {
  const res = await authedFetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { data: { viewer: { role: 'ADMIN' } } });
});

test('graphql-http auditServer: every audit passes', async () => {
  const results = await auditServer({ url: app.url, fetchFn: authedFetch });
  assert.ok(results.length > 0, 'the audit ran no checks');
  const failed = results.filter((r) => r.status !== 'ok');
  const counts = results.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {});
  const report = (await Promise.all(failed.map(describeFailure))).join('\n');
  console.log(`graphql-http audit: ${results.length} audits, ${JSON.stringify(counts)}`);
  assert.equal(failed.length, 0, `${failed.length} of ${results.length} audits failed:\n${report}`);
});
