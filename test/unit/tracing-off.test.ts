// Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: no provider is
// started, and the delivery path's check (tracingOn) says so, so it makes
// no span. (With an endpoint: test/tracing.test.ts, against a collector.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { loadConfig } from '../../src/base/config.js';
import { startTracing, tracingOn } from '../../src/base/tracing.js';

test('no endpoint, no tracing', async () => {
  const cfg = loadConfig({});
  assert.equal(cfg.otlpEndpoint, null);
  assert.equal(await startTracing(cfg, 'api'), null);
  assert.equal(tracingOn(), false);
  // Nothing registered a provider: the API's tracer is the no-op one.
  const span = trace.getTracer('x').startSpan('y');
  assert.equal(span.isRecording(), false);
  span.end();
});

test('with an endpoint, spans are recorded, until stopped', async () => {
  const tracing = await startTracing(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }), 'api');
  assert.ok(tracing);
  assert.equal(tracingOn(), true);
  // Not ended: nothing to export to the (closed) endpoint, so stopping is quick.
  assert.equal(trace.getTracer('x').startSpan('y').isRecording(), true);
  await tracing.stop();
  assert.equal(tracingOn(), false);
});
