// OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then
// each thread that traces (the API thread, the delivery thread) starts a
// tracer provider of its own that batches spans to
// `<endpoint>/v1/traces` over OTLP/HTTP (JSON), and an AsyncLocalStorage
// context manager, so a span started inside a GraphQL operation's execution
// (a publish) is its child.
//
// Callers test tracingOn() before making a span: with tracing off the hot
// paths (every delivery attempt) allocate nothing for it, and the SDK and
// exporter are not even loaded (imported when tracing starts: about 7 MB of
// resident memory in each of the two threads that would otherwise idle).
import { context, trace, type Tracer } from '@opentelemetry/api';
import type { Config } from './config.js';
import { packageVersion } from './version.js';

let active: Tracer | null = null;

/** Whether this thread exports spans. */
export function tracingOn(): boolean {
  return active !== null;
}

/** This thread's tracer; only meaningful when tracingOn(). */
export function tracer(): Tracer {
  return active ?? trace.getTracer('hookline');
}

export interface Tracing {
  /** Sends the spans still batched, then stops tracing in this thread. */
  stop(): Promise<void>;
}

/**
 * Starts tracing in this thread when the configuration asks for it; null
 * when it does not. `component` names the thread in the spans' resource.
 */
export async function startTracing(
  cfg: Pick<Config, 'otlpEndpoint' | 'otelServiceName' | 'instanceId'>,
  component: 'api' | 'worker' | 'delivery-thread',
): Promise<Tracing | null> {
  if (!cfg.otlpEndpoint) return null;
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, TracerProvider }] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
    ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': cfg.otelServiceName,
      'service.version': packageVersion(),
      'service.instance.id': cfg.instanceId,
      'hookline.component': component,
    }),
    // Batched off the request path: an export a second, or per 512 spans.
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${cfg.otlpEndpoint}/v1/traces` }), scheduledDelayMillis: 1000 }),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  active = provider.getTracer('hookline', packageVersion());
  return {
    async stop() {
      active = null;
      await provider.forceFlush().catch(() => undefined);
      await provider.shutdown().catch(() => undefined);
      // So a later start in this thread (tests start several apps in one process) can register again.
      trace.disable();
      context.disable();
    },
  };
}
