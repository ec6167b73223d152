import { ProtocolError } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { AirlockError, describeError } from '../shared/index.js';
import type { CallContext, RequestScope } from './call-context.js';
import { sendUpstream, upstreamFailure } from './forward.js';
import { auditOutcome } from './outcomes.js';
import { asPassedThrough } from './protocol-error.js';
import type { AgentChannel } from './agent-channel.js';
import type { HeldRounds } from './held-rounds.js';
import { isTaskResult, type UpstreamTasks } from './upstream-tasks.js';
import { NO_CALL_TELEMETRY, type CallTelemetry } from '../telemetry/index.js';

/**
 * What the upstream step uses of a call: its caller, tool, params, audit trail and, of the agent's
 * request, only the abort signal and notifications. An approved task runs with no agent request
 * (task-runner.ts): it has a request scope of its own.
 */
export type UpstreamCall = Pick<CallContext, 'caller' | 'entry' | 'params' | 'trail'> & {
  extra: RequestScope;
  telemetry?: CallTelemetry;
};

/**
 * An approved call, run once: the upstream's answer, or its JSON-RPC error as the `failed`
 * outcome (an approval task fails with it; a held call reads it as a tool error). Throws when it
 * is unknown whether the call took effect.
 */
export async function runApprovedCall(
  call: UpstreamCall,
  tasks: Pick<UpstreamTasks, 'bind'>,
): Promise<{ result: unknown; isError: boolean; failed?: boolean }> {
  try {
    const result = await runUpstream(call, 'approved', { tasks });
    return { result, isError: result.isError === true };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const rpcError = {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    };
    return { result: rpcError, isError: true, failed: true };
  }
}

/** A held call's reading of an approved call's JSON-RPC error (stored as `{code, message, data}`). */
export function refusedByUpstream(error: unknown): CallToolResult {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    content: [
      {
        type: 'text',
        text: `The upstream refused the approved call: ${String(message)} (JSON-RPC error ${String(code)})`,
      },
    ],
    isError: true,
  };
}

/** Answers a held call's round (here or relayed), audited as that call's next step upstream. */
export async function resumeHeld(
  call: CallContext,
  resume: (answers: Record<string, unknown> | undefined) => Promise<unknown>,
  answers: Record<string, unknown> | undefined,
): Promise<CallToolResult> {
  void call.trail.emit('call.forwarded', {});
  let result: CallToolResult;
  try {
    result = (await resume(answers)) as CallToolResult;
  } catch (error) {
    result = allowedFailure(call, error);
  }
  void call.trail.emit('call.outcome', auditOutcome(result));
  return result;
}

/**
 * - `allowed`: the agent may cancel (the upstream request is aborted); a JSON-RPC error of the
 *   upstream passes through to the agent unchanged.
 * - `approved`: a human approved it, so once started it runs to completion (not cancellable) and
 *   its answer is stored for the agent's retry: an upstream refusal becomes a tool error result,
 *   and a connection that died under the call is thrown, since the outcome is then unknown and the
 *   call must never run again.
 */
export type RunMode = 'allowed' | 'approved';

/**
 * Step 6 of the call path, for allowed and approved calls alike: from here the call reaches the
 * upstream (its reservation counts whatever happens), so it is audited as forwarded, sent, and its
 * outcome audited. An upstream that is down or died under the call is a tool result the model can
 * read (src/mcp/forward.ts).
 */
export async function runUpstream(
  call: UpstreamCall,
  mode: RunMode,
  { held, tasks }: { held?: HeldRounds; tasks: Pick<UpstreamTasks, 'bind'> },
): Promise<CallToolResult> {
  const { entry, params, extra, trail } = call;
  void trail.emit('call.forwarded', {});
  let result: CallToolResult;
  try {
    const channel = call.caller.channel;
    // A 2025-era upstream asks with server-to-client requests, which a 2026-era agent cannot
    // receive: the call is held, and each ask becomes an input_required round (held-rounds.ts).
    // It outlives the agent's first request, so that request's end must not cancel it.
    // An approved call may run after its agent left (another process, a detached hold): no channel then.
    const rounds =
      mode === 'allowed' && call.caller.era === 'modern' && entry.upstream.era === 'legacy' && held !== undefined;
    const telemetry = call.telemetry ?? NO_CALL_TELEMETRY;
    result = await telemetry.upstream(
      (trace) => {
        const send = (through: AgentChannel | undefined) =>
          sendUpstream(entry, params, extra, { cancellable: mode === 'allowed' && !rounds, channel: through, trace });
        return rounds && channel !== undefined ? (held.run(send, channel) as Promise<CallToolResult>) : send(channel);
      },
      (answer) => auditOutcome(answer).outcome,
    );
    // A task must be routable before its agent hears of it (a tasks/get may follow at once).
    if (isTaskResult(result)) await tasks.bind(call.caller.grant.name, entry.upstream, result);
  } catch (error) {
    result = mode === 'allowed' ? allowedFailure(call, error) : approvedFailure(call, error);
  }
  // An agent's cancel reaches us as the upstream request's abort (read as a timeout).
  const cancelled = mode === 'allowed' && extra.mcpReq.signal.aborted;
  void trail.emit('call.outcome', cancelled ? { outcome: 'cancelled' } : auditOutcome(result));
  return result;
}

function allowedFailure(call: UpstreamCall, error: unknown): CallToolResult {
  const failure = upstreamFailure(call.entry, error);
  if (failure !== undefined) return failure;
  void call.trail.emit(
    'call.outcome',
    call.extra.mcpReq.signal.aborted ? { outcome: 'cancelled' } : { outcome: 'failure', error: describeError(error) },
  );
  throw error instanceof ProtocolError ? asPassedThrough(error) : error;
}

function approvedFailure(call: UpstreamCall, error: unknown): CallToolResult {
  const failure = upstreamFailure(call.entry, error);
  // Never sent (the upstream was down): a definite error, kept as the approved call's result.
  if (error instanceof AirlockError) return failure!;
  // Sent, then the connection died or timed out: it may have run. Unknown, never run again.
  if (failure !== undefined) throw error;
  // The upstream's JSON-RPC error: kept as it is (an approval task fails with it; runApprovedCall).
  if (error instanceof ProtocolError) {
    void call.trail.emit('call.outcome', { outcome: 'failure', error: describeError(error) });
    throw asPassedThrough(error);
  }
  return {
    content: [{ type: 'text', text: `The upstream refused the approved call: ${describeError(error)}` }],
    isError: true,
  };
}
