// OpenTelemetry traces, exported over OTLP/HTTP to an in-process collector on
// loopback: a span per GraphQL operation, a publish span that is its child,
// and a span per delivery attempt (from the delivery thread; pings from the
// API thread) carrying the event id that links it to the publish across the
// queue. Real receivers, one failing, so failed attempts show as errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attrs: Record<string, unknown>;
  resource: Record<string, unknown>;
}

const value = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.arrayValue?.values.map(value)));
const attributes = (list: { key: string; value: OtlpValue }[] = []) => Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

/** An OTLP/HTTP collector: keeps every span POSTed to /v1/traces (JSON). */
async function startCollector() {
  const spans: Span[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']) });
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const payload = JSON.parse(body.toString('utf8'));
      for (const rs of payload.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) spans.push({ ...s, attrs: attributes(s.attributes), resource });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let collector: Awaited<ReturnType<typeof startCollector>>;
let app: TestApp;
let gql: Gql;
let ok: Receiver;
let failing: Receiver;

before(async () => {
  collector = await startCollector();
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_SERVICE_NAME: 'hookline-test',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  ok = await startReceiver();
  failing = await startReceiver();
  failing.respond((_r, _i, res) => void res.writeHead(500).end());
  await createEventType(gql, 'order.paid');
  await createWebhook(gql, { name: 'ok', targetUrl: ok.url, events: ['order.paid'] });
  await createWebhook(gql, { name: 'failing', targetUrl: failing.url, events: ['order.paid'] });
});
after(async () => {
  await app.stop();
  await collector.close();
  await ok.close();
  await failing.close();
});

test('a GraphQL operation, its publish and every delivery attempt, linked by the event id', async () => {
  const res = await gql(
    `mutation PublishTraced($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount } }`,
    { input: { type: 'order.paid', payload: { n: 1 } } },
  );
  const eventId: string = res.data.publishEvent.event.id;
  assert.equal(res.data.publishEvent.deliveryCount, 2);
  // One attempt to the working receiver; two (one retry) to the failing one.
  const attempts = await waitUntil(() => {
    const found = collector.spans.filter((s) => s.name === 'deliver order.paid' && s.attrs['messaging.message.id'] === eventId);
    return found.length === 3 ? found : null;
  }, 'three attempt spans');
  assert.equal(ok.received.length + failing.received.length, 3);

  const operation = collector.spans.find((s) => s.name === 'mutation PublishTraced');
  assert.ok(operation, `no operation span among ${collector.spans.map((s) => s.name).join(', ')}`);
  assert.equal(operation.kind, 2, 'SERVER');
  assert.equal(operation.attrs['graphql.operation.name'], 'PublishTraced');
  assert.equal(operation.attrs['graphql.operation.type'], 'mutation');
  assert.equal(operation.resource['service.name'], 'hookline-test');
  assert.equal(operation.resource['hookline.component'], 'api');

  const publish = collector.spans.find((s) => s.name === 'publish order.paid' && s.attrs['messaging.message.id'] === eventId);
  assert.ok(publish, 'a publish span');
  assert.equal(publish.kind, 4, 'PRODUCER');
  assert.equal(publish.traceId, operation.traceId, 'the publish is part of the operation’s trace');
  assert.equal(publish.parentSpanId, operation.spanId, 'the publish is a child of the operation span');
  assert.equal(publish.attrs['hookline.event.id'], eventId);
  assert.equal(publish.attrs['hookline.delivery.count'], 2);

  for (const a of attempts) {
    assert.equal(a.kind, 3, 'CLIENT');
    assert.equal(a.resource['hookline.component'], 'delivery-thread', 'sent from the delivery thread');
    assert.equal(a.attrs['hookline.event.id'], eventId);
    assert.equal(a.attrs['hookline.attempt.trigger'], 'SCHEDULED');
    assert.match(String(a.attrs['server.address']), /^127\.0\.0\.1:\d+$/, 'the host, not the path');
  }
  const failed = attempts.filter((a) => a.attrs['http.response.status_code'] === 500);
  assert.equal(failed.length, 2);
  for (const a of failed) {
    assert.equal(a.status?.code, 2, 'ERROR');
    assert.equal(a.attrs['error.type'], 'HTTP_ERROR');
  }
  assert.deepEqual(failed.map((a) => a.attrs['hookline.attempt.number']).sort(), [1, 2]);
  const succeeded = attempts.filter((a) => a.attrs['http.response.status_code'] === 200);
  assert.equal(succeeded.length, 1);
  assert.notEqual(succeeded[0].status?.code, 2);
  assert.ok(
    collector.requests.every((r) => r.path === '/v1/traces' && /json/.test(r.contentType)),
    JSON.stringify(collector.requests),
  );
});

test('a ping is traced from the API thread, inside its operation', async () => {
  const webhooks = await gql(`{ webhooks(first: 10) { nodes { id name } } }`);
  const id = webhooks.data.webhooks.nodes.find((w: { name: string }) => w.name === 'ok').id;
  const ping = await gql(`mutation PingIt { pingWebhook(id: "${id}") { attempt { status } } }`);
  assert.equal(ping.data.pingWebhook.attempt.status, 'SUCCEEDED');
  const span = await waitUntil(() => collector.spans.find((s) => s.attrs['hookline.attempt.trigger'] === 'PING'), 'the ping span');
  const operation = await waitUntil(() => collector.spans.find((s) => s.name === 'mutation PingIt'), 'the ping operation');
  assert.equal(span.resource['hookline.component'], 'api');
  assert.equal(span.parentSpanId, operation.spanId);
  assert.equal(span.attrs['http.response.status_code'], 200);
});

test('refused operations are traced as errors', async () => {
  const bad = await client(app.url, 'not-a-key')(`query WhoAmI { viewer { id } }`);
  assert.ok(bad.errors?.length);
  const span = await waitUntil(() => collector.spans.find((s) => s.name === 'query WhoAmI'), 'the refused query span');
  assert.equal(span.status?.code, 2);
  assert.deepEqual(span.attrs['graphql.error.codes'], ['UNAUTHENTICATED']);
});
