import { ProtocolError, ProtocolErrorCode, type ServerContext } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { describeError } from '../shared/index.js';
import type { ApprovalTasks } from './approval-tasks.js';
import type { Caller } from './call-context.js';
import type { TaskBinding, TaskBindings } from './task-bindings.js';
import {
  declaresTasks,
  missingTasksCapability,
  taskNotFound,
  type TaskMethod,
  type TaskParamsSchema,
  type UpstreamTasks,
} from './upstream-tasks.js';

/**
 * An agent's tasks/get, tasks/update and tasks/cancel: the task id is looked up in the grant's
 * task id space (so another grant's task is "not found"), then answered from Airlock's approval
 * (an approval task) or sent to the upstream that created it (an upstream task).
 */
export class TaskRouter {
  constructor(private readonly deps: { bindings: TaskBindings; upstream: UpstreamTasks; approvals: ApprovalTasks }) {}

  async route(
    caller: Caller,
    method: TaskMethod,
    params: z.infer<typeof TaskParamsSchema>,
    ctx: ServerContext,
  ): Promise<Record<string, unknown>> {
    if (!declaresTasks(caller.channel)) throw missingTasksCapability(method);
    const binding = await this.lookup(caller.grant.name, params.taskId);
    if (binding === undefined) throw taskNotFound(params.taskId);
    if ('server' in binding) return this.deps.upstream.route(caller, binding, method, params, ctx);
    const answer = await this.deps.approvals.handle(method, binding.approval, caller.grant.name).catch((error) => {
      throw redisUnreachable(error, 'read the approval task');
    });
    // The approval is gone (past its retention): as the spec's expired task.
    if (answer === undefined)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Failed to retrieve task: Task has expired (${params.taskId})`,
      );
    return answer;
  }

  private async lookup(grant: string, taskId: string): Promise<TaskBinding | undefined> {
    try {
      return await this.deps.bindings.lookup(grant, taskId);
    } catch (error) {
      throw redisUnreachable(error, 'route the task');
    }
  }
}

function redisUnreachable(error: unknown, what: string): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(ProtocolErrorCode.InternalError, `Airlock cannot ${what}: ${describeError(error)}`);
}
