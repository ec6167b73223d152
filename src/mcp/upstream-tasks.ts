import { isCreateTaskResultV2, TASKS_EXTENSION_ID_V2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import { ProtocolError, ProtocolErrorCode, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AirlockError, describeError } from '../shared/index.js';
import type { AgentChannel } from './agent-channel.js';
import type { Caller } from './call-context.js';
import { asPassedThrough } from './protocol-error.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UNLIMITED_TTL_MS, type TaskBindings, type UpstreamBinding } from './task-bindings.js';

export { TASKS_EXTENSION_ID_V2 as TASKS_EXTENSION } from '@modelcontextprotocol/ext-tasks/core/v2';

/** The tasks extension's methods an agent sends about a task (2026-07-28; `tasks/result` and `tasks/list` are gone). */
export const TASK_METHODS = ['tasks/get', 'tasks/update', 'tasks/cancel'] as const;
export type TaskMethod = (typeof TASK_METHODS)[number];

export const TaskParamsSchema = z.looseObject({ taskId: z.string().min(1) });

/** A task with a TTL stays routable that long plus an hour; one with `ttlMs: null`, a week. */
const TTL_GRACE_MS = 3_600_000;

export function isTaskResult(result: unknown): result is Record<string, unknown> & { taskId: string } {
  // The discriminator first: the schema check runs only for what claims to be a task (not per call).
  return (result as { resultType?: unknown } | null)?.resultType === 'task' && isCreateTaskResultV2(result);
}

/** Whether this request of the agent declared the tasks extension. */
export function declaresTasks(channel: AgentChannel | undefined): boolean {
  const extensions = (channel?.capabilities() as { extensions?: Record<string, unknown> } | undefined)?.extensions;
  return extensions?.[TASKS_EXTENSION_ID_V2] !== undefined;
}

export function missingTasksCapability(method: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.MissingRequiredClientCapability,
    `${method} needs the ${TASKS_EXTENSION_ID_V2} extension in the request's client capabilities`,
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION_ID_V2]: {} } } },
  );
}

export function taskNotFound(taskId: string): ProtocolError {
  // The same answer for a task of another grant: its existence is not told.
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Failed to retrieve task: Task not found (${taskId})`);
}

export interface UpstreamTasksDeps {
  bindings: TaskBindings;
  upstreams: readonly UpstreamConnection[];
  /** This Airlock process (a stdio upstream's tasks live in one process's child). */
  process: string;
  /** Runs a task request in the process that holds a stdio upstream's task. */
  relay?: (
    process: string,
    server: string,
    method: TaskMethod,
    params: Record<string, unknown>,
    capabilities: unknown,
  ) => Promise<unknown>;
}

/**
 * Upstream tasks (the MCP tasks extension, `resultType: "task"`) pass through: Airlock binds each
 * task an upstream creates to the grant whose call created it (in Redis, so any process can
 * route it), and sends that grant's tasks/get, tasks/update and tasks/cancel to that upstream.
 */
export class UpstreamTasks {
  constructor(private readonly deps: UpstreamTasksDeps) {}

  /** Called before the task result goes to the agent: a tasks/get right after it must resolve. */
  async bind(grant: string, upstream: UpstreamConnection, task: { taskId: string; ttlMs?: unknown }): Promise<void> {
    const binding: UpstreamBinding = {
      server: upstream.name,
      ...(upstream.processLocal ? { process: this.deps.process } : {}),
    };
    const ttl = typeof task.ttlMs === 'number' && task.ttlMs > 0 ? task.ttlMs + TTL_GRACE_MS : UNLIMITED_TTL_MS;
    let claimed: boolean;
    try {
      claimed = await this.deps.bindings.claim(grant, task.taskId, binding, ttl);
    } catch (error) {
      throw await this.dropped(upstream, task.taskId, `Airlock could not record it (Redis: ${describeError(error)})`);
    }
    // One id space per grant: an id already naming another task (an approval's, another upstream's) is refused.
    if (!claimed)
      throw await this.dropped(
        upstream,
        task.taskId,
        `its id "${task.taskId}" already names another task of this grant`,
      );
  }

  /** The upstream's task could never be reached by its agent: the upstream is asked to drop it. */
  private async dropped(upstream: UpstreamConnection, taskId: string, why: string): Promise<ProtocolError> {
    await upstream.forward('tasks/cancel', { taskId }, {}).catch(() => {});
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      `The upstream "${upstream.name}" started a task, but ${why}, so Airlock asked the upstream to cancel it; call again`,
    );
  }

  /** An agent's tasks/get|update|cancel of an upstream's task, sent to the upstream that created it. */
  async route(
    caller: Caller,
    binding: UpstreamBinding,
    method: TaskMethod,
    params: z.infer<typeof TaskParamsSchema>,
    ctx: ServerContext,
  ): Promise<Record<string, unknown>> {
    // The SDK lifts a tasks/update's inputResponses out of params (as for a multi-round retry).
    const sent: Record<string, unknown> = { ...params };
    if (method === 'tasks/update') sent['inputResponses'] = ctx.mcpReq.inputResponses ?? {};
    if (binding.process !== undefined && binding.process !== this.deps.process) {
      if (this.deps.relay === undefined) throw taskNotFound(params.taskId);
      const capabilities = caller.channel?.capabilities();
      return (await this.deps.relay(binding.process, binding.server, method, sent, capabilities)) as Record<
        string,
        unknown
      >;
    }
    return this.send(binding.server, method, sent, { signal: ctx.mcpReq.signal }, caller.channel);
  }

  /** tasks/get of an upstream task with no agent request behind it (a listen subscription's poll). */
  async get(binding: UpstreamBinding, taskId: string, capabilities: unknown): Promise<Record<string, unknown>> {
    const params = { taskId };
    if (binding.process !== undefined && binding.process !== this.deps.process) {
      if (this.deps.relay === undefined) throw taskNotFound(taskId);
      return (await this.deps.relay(binding.process, binding.server, 'tasks/get', params, capabilities)) as Record<
        string,
        unknown
      >;
    }
    return this.send(binding.server, 'tasks/get', params, {}, envelopeChannel(capabilities));
  }

  /** Sends one task request to an upstream of this process (also for a relayed request). */
  async send(
    server: string,
    method: TaskMethod,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal },
    channel?: AgentChannel,
  ): Promise<Record<string, unknown>> {
    const upstream = this.deps.upstreams.find((u) => u.name === server);
    if (upstream === undefined) throw taskNotFound(String(params['taskId']));
    try {
      return await upstream.forward(method, params, options, channel);
    } catch (error) {
      if (error instanceof ProtocolError) throw asPassedThrough(error);
      const why = error instanceof AirlockError ? error.message : describeError(error);
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `The task's upstream "${server}" did not answer: ${why}`,
      );
    }
  }
}

/**
 * A relayed task request has no agent request here to answer through, only the capabilities its
 * agent declared: they go into the request's envelope, so the upstream sees the agent's own.
 */
export function envelopeChannel(capabilities: unknown): AgentChannel {
  return {
    grant: '',
    era: 'modern',
    capabilities: () => capabilities as ReturnType<AgentChannel['capabilities']>,
    logLevel: () => undefined,
    request: (method) =>
      Promise.reject(new ProtocolError(ProtocolErrorCode.MethodNotFound, `${method}: no agent request to ask through`)),
    notify: () => Promise.resolve(),
  };
}
