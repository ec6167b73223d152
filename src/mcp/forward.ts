import { SdkErrorCode, SdkError } from '@modelcontextprotocol/client';
import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/server';
import { AirlockError, describeError } from '../shared/index.js';
import type { AgentChannel } from './agent-channel.js';
import type { RequestScope } from './call-context.js';
import { outcome } from './outcomes.js';
import type { CatalogueEntry } from './tool-catalogue.js';
import type { TraceCarrier } from '../telemetry/index.js';

/**
 * Send one call to its upstream and hand back exactly what it answered. The agent's progress
 * token is swapped for our own so upstream progress is relayed; with `cancellable`, the agent's
 * cancellation aborts the upstream request (the SDK sends notifications/cancelled). With `trace`
 * (tracing on), its W3C keys replace the agent's in `_meta`: the upstream's spans are children of
 * Airlock's upstream span, itself in the agent's trace.
 *
 * Throws AirlockError when the call was never sent (upstream down) and McpError when the
 * upstream answered with a JSON-RPC error or the connection died under the call.
 */
export async function sendUpstream(
  entry: CatalogueEntry,
  params: CallToolRequest['params'],
  extra: RequestScope,
  {
    cancellable = true,
    channel,
    trace = {},
  }: { cancellable?: boolean; channel?: AgentChannel | undefined; trace?: TraceCarrier } = {},
): Promise<CallToolResult> {
  const { progressToken, ...meta } = params._meta ?? {};
  if (trace.traceparent !== undefined) {
    meta.traceparent = trace.traceparent;
    if (trace.tracestate === undefined) delete meta.tracestate;
    else meta.tracestate = trace.tracestate;
  }
  const upstreamParams: CallToolRequest['params'] = { ...params, name: entry.upstreamTool };
  if (Object.keys(meta).length > 0) upstreamParams._meta = meta;
  else delete upstreamParams._meta;
  // Progress is relayed in order, and all of it before the result: the agent's SDK drops
  // progress that arrives after the response.
  let relayed = Promise.resolve();
  const result = await entry.upstream.callTool(
    upstreamParams,
    {
      ...(cancellable ? { signal: extra.mcpReq.signal } : {}),
      resetTimeoutOnProgress: true,
      ...(progressToken !== undefined
        ? {
            onprogress: (progress) => {
              relayed = relayed.then(() =>
                extra.mcpReq
                  .notify({ method: 'notifications/progress', params: { ...progress, progressToken } })
                  .catch(() => {}),
              );
            },
          }
        : {}),
    },
    channel,
  );
  await relayed;
  return result;
}

/**
 * Errors the upstream itself sent pass through unchanged (undefined here); a connection that died
 * under the call, or an upstream that is restarting, becomes a tool result the model can read.
 */
export function upstreamFailure(entry: CatalogueEntry, error: unknown): CallToolResult | undefined {
  const server = entry.upstream.name;
  if (error instanceof AirlockError) {
    return outcome(
      'upstream_unavailable',
      `The upstream MCP server "${server}" is unavailable: ${error.message}. The call was not sent; try again shortly.`,
      { server },
    );
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) {
    return outcome(
      'upstream_unavailable',
      `The upstream MCP server "${server}" stopped while this call was in flight; Airlock is restarting it. The call may or may not have taken effect: check before retrying.`,
      { server, detail: describeError(error) },
    );
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return outcome(
      'upstream_unavailable',
      `The upstream MCP server "${server}" did not answer in time: ${error.message}. The call may still complete upstream.`,
      { server, detail: error.message },
    );
  }
  return undefined;
}
