import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

export interface Tracing {
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Registers an OpenTelemetry tracer provider for this process that exports spans over OTLP/HTTP
 * to `endpoint` (`<endpoint>/v1/traces`), with W3C trace context propagation. Without an endpoint
 * nothing is registered and every span below is a no-op.
 */
export function startTracing(options: { serviceName: string; endpoint?: string }): Tracing | undefined {
  if (!options.endpoint) return undefined;
  // Required here, not imported: the SDK is some 300 modules, which a process that exports no spans
  // (the default, and every test stack) would load for nothing.
  const { OTLPTraceExporter }: typeof import('@opentelemetry/exporter-trace-otlp-http') = require('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes }: typeof import('@opentelemetry/resources') = require('@opentelemetry/resources');
  const { BatchSpanProcessor }: typeof import('@opentelemetry/sdk-trace-base') = require('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider }: typeof import('@opentelemetry/sdk-trace-node') = require('@opentelemetry/sdk-trace-node');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` }))],
  });
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Runs `work` in a SERVER span that continues the caller's trace (its `traceparent` header).
 * The tracer is named after the service, which tells services apart when one process runs them all.
 */
export function inServerSpan<T>(service: string, name: string, headers: Headers, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), headers);
  return trace.getTracer(service).startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, parent, (span) => endWith(span, work));
}

/** Runs `work` in a CLIENT span; `carrier` receives the headers that carry the trace to the callee. */
export function inClientSpan<T>(service: string, name: string, attributes: Attributes, work: (carrier: Record<string, string>, span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(service).startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, (span) => {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return endWith(span, (s) => work(carrier, s));
  });
}

async function endWith<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
