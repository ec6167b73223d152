import { SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { GatewayMetrics } from './metrics.js';
import { carrierOf, contextFromMeta, type TraceCarrier } from './tracing.js';

/** The steps of the call path that get a span of their own. */
export type CallStep = 'limits' | 'hold';

export interface CallStart {
  /** The agent-facing tool name. */
  tool: string;
  grant: string;
  session: string;
  era: 'legacy' | 'modern';
  /** The request's `_meta`: its traceparent, when the agent sent one, is the call's parent. */
  meta: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One tools/call as metrics and traces see it: a span for the call (a child of the agent's trace
 * when its request carried one), a span per step, the upstream request's latency. Made by the
 * pipeline for every call; without a tracer the spans are skipped and only metrics remain.
 */
export interface CallTelemetry {
  /** The catalogue's answer: which upstream and which of its tools. */
  resolved(server: string, upstreamTool: string, callId: string): void;
  /** The policy's decision, as a span of its own (evaluation is synchronous: start and end now). */
  decided(action: string, rule: string): void;
  step<T>(name: CallStep, work: () => Promise<T>): Promise<T>;
  /**
   * The request to the upstream: `work` gets the trace context to send with it (empty without
   * tracing), `outcomeOf` names the answer for the latency histogram.
   */
  upstream<T>(work: (carrier: TraceCarrier) => Promise<T>, outcomeOf: (result: T) => string): Promise<T>;
  /** The call answered (`isError` for a tool error) or threw. */
  end(result: { isError?: boolean | undefined } | undefined, error?: unknown): void;
}

/** For code paths without a call of an agent (an approved task run later): nothing recorded. */
export const NO_CALL_TELEMETRY: CallTelemetry = {
  resolved() {},
  decided() {},
  step: (_name, work) => work(),
  upstream: (work) => work({}),
  end() {},
};

export class TracedCall implements CallTelemetry {
  private readonly span: Span | undefined;
  private readonly context: Context | undefined;
  private server = 'unknown';
  private upstreamTool: string;

  constructor(
    private readonly metrics: GatewayMetrics | undefined,
    private readonly tracer: Tracer | undefined,
    start: CallStart,
    /** +1 when a hold starts, -1 when it ends (the held-calls gauge). */
    private readonly onHold: (delta: 1 | -1) => void = () => {},
  ) {
    this.upstreamTool = start.tool;
    if (tracer === undefined) return;
    // OpenTelemetry's MCP semantic conventions: "{method} {target}", server kind.
    this.span = tracer.startSpan(
      `tools/call ${start.tool}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': start.tool,
          'mcp.session.id': start.session,
          'airlock.grant': start.grant,
          'airlock.protocol_era': start.era === 'modern' ? '2026-07-28' : '2025',
        },
      },
      contextFromMeta(start.meta),
    );
    this.context = trace.setSpan(contextFromMeta(start.meta), this.span);
  }

  resolved(server: string, upstreamTool: string, callId: string): void {
    this.server = server;
    this.upstreamTool = upstreamTool;
    this.span?.setAttributes({
      'airlock.server': server,
      'airlock.upstream_tool': upstreamTool,
      'airlock.call_id': callId,
    });
  }

  decided(action: string, rule: string): void {
    if (this.span === undefined) return;
    this.span.setAttributes({ 'airlock.decision': action, 'airlock.rule': rule });
    const policy = this.tracer!.startSpan(
      'airlock.policy',
      { attributes: { 'airlock.decision': action, 'airlock.rule': rule } },
      this.context,
    );
    policy.end();
  }

  async step<T>(name: CallStep, work: () => Promise<T>): Promise<T> {
    const span = this.span === undefined ? undefined : this.tracer!.startSpan(`airlock.${name}`, {}, this.context);
    if (name === 'hold') this.onHold(1);
    try {
      return await work();
    } catch (error) {
      span?.recordException(error as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      if (name === 'hold') this.onHold(-1);
      span?.end();
    }
  }

  async upstream<T>(work: (carrier: TraceCarrier) => Promise<T>, outcomeOf: (result: T) => string): Promise<T> {
    const span = this.tracer?.startSpan(
      `tools/call ${this.upstreamTool}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.tool.name': this.upstreamTool,
          'airlock.server': this.server,
        },
      },
      this.context,
    );
    const started = performance.now();
    let outcome = 'failure';
    try {
      const result = await work(span === undefined ? {} : carrierOf(span));
      outcome = outcomeOf(result);
      if (outcome !== 'ok') span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      return result;
    } catch (error) {
      span?.recordException(error as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span?.setAttribute('airlock.outcome', outcome);
      span?.end();
      this.metrics?.upstreamSeconds.observe(
        { server: this.server, tool: this.upstreamTool, outcome },
        (performance.now() - started) / 1_000,
      );
    }
  }

  end(result: { isError?: boolean | undefined } | undefined, error?: unknown): void {
    if (this.span === undefined) return;
    if (error !== undefined) {
      this.span.recordException(error as Error);
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (result?.isError === true) this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
    this.span.end();
  }
}
