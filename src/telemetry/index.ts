/**
 * Metrics and traces: Prometheus counters, histograms and gauges at `/metrics` (prom-client, one
 * registry per gateway), OpenTelemetry spans per tools/call exported over OTLP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, W3C trace context read from and written to `_meta`
 * (SEP-414). Other boundaries report to it through small observer interfaces; it imports none
 * of them. See README.md.
 * @module
 */
export { Telemetry, type TelemetryOptions } from './telemetry.js';
export { NO_CALL_TELEMETRY, type CallStart, type CallStep, type CallTelemetry } from './call-telemetry.js';
export { GatewayMetrics, type MetricSources } from './metrics.js';
export { auditObserver, observeApprovalEnd, type AuditedEvent, type EndedApproval } from './observers.js';
export { carrierOf, contextFromMeta, type TraceCarrier } from './tracing.js';
