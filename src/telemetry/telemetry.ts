import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NO_CALL_TELEMETRY, TracedCall, type CallStart, type CallTelemetry } from './call-telemetry.js';
import { GatewayMetrics, type MetricSources } from './metrics.js';
import { startTracing, type TracerHandle } from './tracing.js';

export interface TelemetryOptions {
  metrics: { enabled: boolean; token?: string | undefined };
  /** What the gauges read at scrape time; `heldCalls` is counted here. */
  sources: Omit<MetricSources, 'heldCalls'>;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Tests: spans go here instead of to OTLP (and tracing is on without an endpoint). */
  spanProcessor?: SpanProcessor;
}

/**
 * A gateway's metrics (Prometheus, `/metrics`) and traces (OpenTelemetry, exported over OTLP
 * when configured). One per gateway; `close()` flushes the spans not yet exported.
 */
export class Telemetry {
  readonly metrics: GatewayMetrics | undefined;
  private readonly tracing: TracerHandle | undefined;
  private held = 0;

  constructor(private readonly options: TelemetryOptions) {
    this.metrics = options.metrics.enabled
      ? new GatewayMetrics({ ...options.sources, heldCalls: () => this.held })
      : undefined;
    this.tracing = startTracing({
      env: options.env,
      version: options.version,
      ...(options.spanProcessor ? { spanProcessor: options.spanProcessor } : {}),
    });
  }

  get tracingEnabled(): boolean {
    return this.tracing !== undefined;
  }

  /** The telemetry of one tools/call (NO_CALL_TELEMETRY when both metrics and tracing are off). */
  call(start: CallStart): CallTelemetry {
    if (this.metrics === undefined && this.tracing === undefined) return NO_CALL_TELEMETRY;
    return new TracedCall(this.metrics, this.tracing?.tracer, start, (delta) => (this.held += delta));
  }

  /** `GET /metrics`: the Prometheus text, behind `metrics.token` when one is set. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const metrics = this.metrics;
    if (metrics === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: /metrics (metrics.enabled is false)\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    const token = this.options.metrics.token;
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="airlock-metrics"', 'content-type': 'text/plain' })
        .end('Unauthorized: /metrics needs Authorization: Bearer <metrics.token>\n');
      return;
    }
    const body = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body);
  }

  async close(): Promise<void> {
    await this.tracing?.shutdown().catch(() => {});
  }
}

/** Compares digests, so the time taken says nothing about the token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/iu.exec(header ?? '');
  if (match === null) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
