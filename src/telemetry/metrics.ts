import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a fast local upstream (1 ms) to a slow remote one (a minute). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds a human takes to decide: ten seconds to a day. */
const WAIT_BUCKETS = [10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 86_400];
/** Seconds an audit file append takes (a batch written, fsync'd when configured). */
const WRITE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

type CallLabels = 'server' | 'tool' | 'grant';

/** What the gauges read when scraped: the live state of the process and of Redis. */
export interface MetricSources {
  /** Pending approvals per grant, across every process (Redis); rejects while Redis is down. */
  pendingApprovals(): Promise<Map<string, number>>;
  /** Calls this process holds open for a decision. */
  heldCalls(): number;
  /** 1 for each upstream that is ready, 0 otherwise. */
  upstreams(): { name: string; ready: boolean }[];
  /** Agents' HTTP sessions open in this process (2025-era). */
  sessions(): number;
  /** Events the audit stream lost since start. */
  auditStreamDropped(): number;
}

/**
 * Every Prometheus metric of one gateway, in its own registry (so two gateways in one process,
 * as in tests, do not share counts). Names follow Prometheus conventions: `_total` counters,
 * `_seconds` histograms, base units.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly calls = new Counter<CallLabels | 'decision'>({
    name: 'airlock_calls_total',
    help: 'Tool calls by policy decision (allow, deny, require_approval)',
    labelNames: ['server', 'tool', 'grant', 'decision'],
    registers: [this.registry],
  });

  readonly outcomes = new Counter<CallLabels | 'outcome'>({
    name: 'airlock_call_outcomes_total',
    help: 'Tool calls that reached the upstream, by outcome (ok, tool_error, failure, cancelled, unknown, input_required, task)',
    labelNames: ['server', 'tool', 'grant', 'outcome'],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter<CallLabels | 'counter'>({
    name: 'airlock_rate_limited_total',
    help: 'Tool calls refused by a rate limit, by counter',
    labelNames: ['server', 'tool', 'grant', 'counter'],
    registers: [this.registry],
  });

  readonly refused = new Counter<CallLabels | 'reason'>({
    name: 'airlock_calls_refused_total',
    help: 'Tool calls Airlock refused because something it needs failed (limits_unavailable, audit_unavailable, max_pending, …)',
    labelNames: ['server', 'tool', 'grant', 'reason'],
    registers: [this.registry],
  });

  readonly upstreamSeconds = new Histogram<'server' | 'tool' | 'outcome'>({
    name: 'airlock_upstream_request_duration_seconds',
    help: 'Time from sending a tool call to its upstream to its answer',
    labelNames: ['server', 'tool', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly approvalsRequested = new Counter<CallLabels>({
    name: 'airlock_approvals_requested_total',
    help: 'Held calls that asked for (or attached to) an approval',
    labelNames: ['server', 'tool', 'grant'],
    registers: [this.registry],
  });

  readonly approvalWait = new Histogram<'decision'>({
    name: 'airlock_approval_wait_seconds',
    help: 'Time from an approval request to its end (approved, denied, expired, withdrawn), counted once by the process that recorded the end',
    labelNames: ['decision'],
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });

  readonly auditWriteSeconds = new Histogram({
    name: 'airlock_audit_write_duration_seconds',
    help: 'Time to append an audit event batch to the hash-chained file',
    buckets: WRITE_BUCKETS,
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'airlock_audit_write_failures_total',
    help: 'Audit events the audit file could not take',
    registers: [this.registry],
  });

  readonly slackErrors = new Counter<'kind' | 'final'>({
    name: 'airlock_slack_api_errors_total',
    help: 'Failed Slack Web API attempts, by kind (rate_limited, transient, final) and whether it was the last attempt',
    labelNames: ['kind', 'final'],
    registers: [this.registry],
  });

  readonly slackRetries = new Counter({
    name: 'airlock_slack_api_retries_total',
    help: 'Slack Web API attempts scheduled again after a failure',
    registers: [this.registry],
  });

  readonly redisErrors = new Counter<'client'>({
    name: 'airlock_redis_errors_total',
    help: 'Redis connection errors, by client (request, subscriber)',
    labelNames: ['client'],
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    new Gauge<'grant'>({
      name: 'airlock_approvals_pending',
      help: 'Approvals waiting for a decision, per grant, across every process (read from Redis at scrape time)',
      labelNames: ['grant'],
      registers,
      async collect() {
        this.reset();
        // Redis down: the gauge is left out of this scrape rather than reading zero.
        const pending = await sources.pendingApprovals().catch(() => undefined);
        for (const [grant, count] of pending ?? []) this.set({ grant }, count);
      },
    });
    new Gauge({
      name: 'airlock_held_calls',
      help: 'Agent calls this process holds open while their approval is pending',
      registers,
      collect() {
        this.set(sources.heldCalls());
      },
    });
    new Gauge<'server'>({
      name: 'airlock_upstream_up',
      help: '1 when the upstream MCP server is connected and ready',
      labelNames: ['server'],
      registers,
      collect() {
        for (const u of sources.upstreams()) this.set({ server: u.name }, u.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'airlock_sessions',
      help: "Agents' open HTTP sessions (2025-era) in this process",
      registers,
      collect() {
        this.set(sources.sessions());
      },
    });
    new Gauge({
      name: 'airlock_audit_stream_dropped',
      help: 'Audit events the Redis stream lost since start (the file has them)',
      registers,
      collect() {
        this.set(sources.auditStreamDropped());
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
