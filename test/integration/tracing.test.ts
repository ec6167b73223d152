/**
 * Issue 16: OpenTelemetry traces. In process, with an in-memory exporter: a span per tools/call
 * in the agent's trace (its `_meta.traceparent`), a span per step, and the trace context passed
 * on to an HTTP upstream in `_meta` and as the `traceparent` header. As a real process: spans
 * exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/shared/index.js';
import { connectAgentHttp } from '../helpers/agents.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, waitFor } from '../helpers/gateway.js';
import { STANDIN_CLI, tempDir, upstreams } from '../helpers/paths.js';
import { startRecordingProxy, type RecordedRequest } from '../helpers/recording-proxy.js';
import { testRedis } from '../helpers/test-redis.js';

const TOKEN = 'tracing-agent-token-0123456789';
// The agent's own trace: W3C ids, sampled.
const AGENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const AGENT_SPAN = '00f067aa0ba902b7';
const policy = {
  version: '1',
  default: 'deny',
  tools: {
    health: { action: 'allow', limits: [{ counter: 'trace_health', window: 'minute', max: 1000, scope: 'grant' }] },
  },
};

async function httpStandin(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [STANDIN_CLI, '--http', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/u.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code}): ${output}`)));
  });
  return { child, url };
}

describe('traces in process (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let gateway: Gateway;
  let standin: ChildProcess;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let agent: Client;

  beforeAll(async () => {
    const http = await httpStandin();
    standin = http.child;
    proxy = await startRecordingProxy(http.url);
    const dir = tempDir('airlock-tracing-');
    const file = writeGatewayConfig(dir, {
      upstreams: { mlflow: { url: proxy.url } },
      policy,
      grants: [{ name: 'tracer', token: TOKEN }],
      listen: { port: 0 },
    });
    const { config } = loadConfig({ file, env: {}, dataDir: dir });
    gateway = await Gateway.start({
      config,
      log: silentLogger(),
      redisUrl: testRedis() as string,
      spanProcessor: new SimpleSpanProcessor(exporter),
    });
    const { url } = await gateway.listen();
    agent = await connectAgentHttp(`${url}/mcp`, TOKEN, 'modern');
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await proxy?.close();
    standin?.kill();
  });

  it("makes the call a child of the agent's span, with a span per step, and passes the context on", async () => {
    const result = await agent.callTool({
      name: 'health',
      arguments: {},
      _meta: { traceparent: `00-${AGENT_TRACE}-${AGENT_SPAN}-01`, tracestate: 'agent=1' },
    });
    expect(result.isError).toBeFalsy();
    let spans: ReadableSpan[] = [];
    await waitFor(
      () => (spans = exporter.getFinishedSpans()).some((s) => s.name === 'tools/call health' && s.kind === 1),
      5_000,
      'the call span',
    );
    const inTrace = spans.filter((s) => s.spanContext().traceId === AGENT_TRACE);
    const root = inTrace.find((s) => s.name === 'tools/call health' && s.parentSpanContext?.spanId === AGENT_SPAN);
    expect(root, 'a server span whose parent is the agent span').toBeDefined();
    expect(root!.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'health',
      'airlock.grant': 'tracer',
      'airlock.server': 'mlflow',
      'airlock.decision': 'allow',
      'airlock.rule': '/tools/health',
    });
    expect(String(root!.attributes['airlock.call_id'])).toMatch(/^call_/u);
    const children = inTrace.filter((s) => s.parentSpanContext?.spanId === root!.spanContext().spanId);
    expect(children.map((s) => s.name).sort()).toEqual(['airlock.limits', 'airlock.policy', 'tools/call health']);
    const upstreamSpan = children.find((s) => s.name === 'tools/call health')!;
    expect(upstreamSpan.kind).toBe(2); // CLIENT
    expect(upstreamSpan.attributes['airlock.outcome']).toBe('ok');

    // What the HTTP upstream received: Airlock's upstream span as the parent, in _meta and as headers.
    const expected = `00-${AGENT_TRACE}-${upstreamSpan.spanContext().spanId}-01`;
    const sent = proxy.requests.filter((r) => r.body.includes('"tools/call"'));
    expect(sent).toHaveLength(1);
    const message = JSON.parse(sent[0]!.body) as { params: { _meta: Record<string, unknown> } };
    expect(message.params._meta).toMatchObject({ traceparent: expected, tracestate: 'agent=1' });
    expect(sent[0]!.headers.traceparent).toBe(expected);
    expect(sent[0]!.headers.tracestate).toBe('agent=1');
  });

  it('starts a trace of its own for a request without trace context', async () => {
    exporter.reset();
    const before = proxy.requests.length;
    await agent.callTool({ name: 'health', arguments: {} });
    let spans: ReadableSpan[] = [];
    await waitFor(() => (spans = exporter.getFinishedSpans()).some((s) => s.kind === 1), 5_000, 'the call span');
    const root = spans.find((s) => s.kind === 1)!;
    expect(root.parentSpanContext).toBeUndefined();
    const sent = proxy.requests.slice(before).find((r: RecordedRequest) => r.body.includes('"tools/call"'))!;
    expect(sent.headers.traceparent).toMatch(new RegExp(`^00-${root.spanContext().traceId}-[0-9a-f]{16}-01$`, 'u'));
  });
});

describe('traces from a real process (OTLP/HTTP)', () => {
  let collector: Server;
  let collectorUrl: string;
  const received: { path: string; body: string }[] = [];

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    collector.closeAllConnections();
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  });

  const config = () =>
    writeGatewayConfig(tempDir('airlock-otlp-'), {
      upstreams: { mlflow: upstreams.standin() },
      policy,
      grants: [{ name: 'tracer', token: TOKEN }],
    });

  it('exports the spans of a call to OTEL_EXPORTER_OTLP_ENDPOINT, named by OTEL_SERVICE_NAME', async () => {
    const gateway = await startGateway({
      config: config(),
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SERVICE_NAME: 'airlock-test',
      },
    });
    try {
      const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
      await agent.callTool({ name: 'health', arguments: {} });
      await agent.close();
      await waitFor(() => received.some((r) => r.body.includes('tools/call health')), 10_000, 'an OTLP export');
    } finally {
      await gateway.stop();
    }
    const exported = received.find((r) => r.body.includes('tools/call health'))!;
    expect(exported.path).toBe('/v1/traces');
    expect(exported.body).toContain('airlock-test');
    expect(exported.body).toContain('airlock.limits');
  });

  it('exports nothing without it', async () => {
    received.length = 0;
    const gateway = await startGateway({ config: config(), env: { OTEL_BSP_SCHEDULE_DELAY: '50' } });
    const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    await agent.callTool({ name: 'health', arguments: {} });
    await agent.close();
    await gateway.stop(); // a shutdown flushes whatever a tracer has: nothing may arrive even then
    expect(received).toEqual([]);
  });
});
