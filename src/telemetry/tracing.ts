import { ROOT_CONTEXT, trace, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** The W3C Trace Context keys MCP carries in a request's `_meta` (SEP-414). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const propagator = new W3CTraceContextPropagator();

/** Reads `_meta` as a carrier: only string values count (anything else in `_meta` is not ours to read). */
const metaGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (typeof carrier[key] === 'string' ? carrier[key] : undefined),
};

/** The trace context an agent's request carries in `_meta` (traceparent, tracestate), or the root. */
export function contextFromMeta(meta: Readonly<Record<string, unknown>> | undefined): Context {
  if (meta === undefined || typeof meta.traceparent !== 'string') return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, meta, metaGetter);
}

/** The W3C keys that make `span` the parent of whatever receives them. */
export function carrierOf(span: Span): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
    set: (c, key, value) => (c[key] = value),
  });
  return carrier;
}

/** A tracer and what ends it (flushing the spans not yet exported). */
export interface TracerHandle {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  env: NodeJS.ProcessEnv;
  version: string;
  /** Instead of the OTLP exporter (tests: an in-memory exporter behind a SimpleSpanProcessor). */
  spanProcessor?: SpanProcessor;
}

/**
 * Tracing is off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set, and `OTEL_SDK_DISABLED=true` turns it off again: the OTLP/HTTP exporter reads the
 * standard OTEL_* variables itself (headers, timeout), `OTEL_SERVICE_NAME` and
 * `OTEL_RESOURCE_ATTRIBUTES` name the service. The provider is ours, not the global one: Airlock
 * passes span contexts explicitly, so it needs no context manager and leaves the process's
 * global OpenTelemetry state alone.
 */
export function startTracing(options: TracingOptions): TracerHandle | undefined {
  const { env } = options;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (options.spanProcessor === undefined && (endpoint === undefined || endpoint === '')) return undefined;
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'airlock', [ATTR_SERVICE_VERSION]: options.version }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  return {
    tracer: provider.getTracer('airlock', options.version),
    shutdown: () => provider.shutdown(),
  };
}
