import { Server, type JSONRPCRequest, type Result, type ServerContext } from '@modelcontextprotocol/server';
import type { Caller } from './call-context.js';
import type { TaskRouter } from './task-router.js';
import { isTaskResult, TASK_METHODS, TaskParamsSchema } from './upstream-tasks.js';

type Handler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/**
 * The SDK's Server, except that a tools/call may answer an upstream's task (the tasks
 * extension's CreateTaskResult) as it is: SDK 2.4.0 validates every tools/call result as a
 * CallToolResult, which a task result is not, although its 2026 encoder allows resultType "task"
 * on tools/call. Every other result is validated as before. Uses the Server's `_wrapHandler` hook.
 */
export class AgentMcpServer extends Server {
  private readonly taskResults = new WeakMap<JSONRPCRequest, Result>();

  protected override _wrapHandler(method: string, handler: Handler): Handler {
    if (method !== 'tools/call') return super._wrapHandler(method, handler);
    const validated = super._wrapHandler(method, async (request, ctx) => {
      const result = await handler(request, ctx);
      if (!isTaskResult(result)) return result;
      this.taskResults.set(request, result);
      return { content: [] };
    });
    return async (request, ctx) => {
      const result = await validated(request, ctx);
      const task = this.taskResults.get(request);
      this.taskResults.delete(request);
      return task ?? result;
    };
  }
}

/** tasks/get, tasks/update and tasks/cancel of 2026-era agents: approval tasks and upstream ones. */
export function registerTaskMethods(server: Server, tasks: TaskRouter, callerOf: (ctx: ServerContext) => Caller): void {
  for (const method of TASK_METHODS) {
    server.setRequestHandler(method, { params: TaskParamsSchema }, (params, ctx) =>
      tasks.route(callerOf(ctx), method, params, ctx),
    );
  }
}
