import type { ApprovalEngine } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import type { GrantConfig } from '../config/index.js';
import type { RedisClient } from '../redis/index.js';
import type { Logger } from '../shared/index.js';
import { ApprovalTasks } from './approval-tasks.js';
import type { PolicyProvider } from './policy-provider.js';
import { TaskBindings } from './task-bindings.js';
import { TaskListen, type TaskListenDeps } from './task-listen.js';
import { TaskRouter } from './task-router.js';
import { approvedTaskRunner } from './task-runner.js';
import { TaskSubscriptions } from './task-subscriptions.js';
import type { ToolCatalogue } from './tool-catalogue.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UpstreamTasks, type UpstreamTasksDeps } from './upstream-tasks.js';

export interface TasksDeps extends Pick<UpstreamTasksDeps, 'process' | 'relay'> {
  redis: RedisClient;
  prefix: string | undefined;
  upstreams: readonly UpstreamConnection[];
  engine: ApprovalEngine;
  retentionMs: number;
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  grants: readonly GrantConfig[];
  audit: AuditLog;
  log: Logger;
}

/** Every MCP task of this process: one task id space per grant, approval tasks, upstream tasks, the router. */
export interface Tasks {
  upstream: UpstreamTasks;
  approvals: ApprovalTasks;
  router: TaskRouter;
  /** notifications/tasks for listen subscriptions, over any transport. */
  subscriptions: TaskSubscriptions;
  /** The `subscriptions/listen` streams that ask for notifications/tasks (for the 2026-era leg). */
  listen(options: Omit<TaskListenDeps, 'subscriptions'>): TaskListen;
}

/** Builds the tasks parts and makes this process run approved tasks (the approval job's runner). */
export function createTasks(deps: TasksDeps): Tasks {
  const bindings = new TaskBindings(deps.redis, deps.prefix);
  const upstream = new UpstreamTasks({
    bindings,
    upstreams: deps.upstreams,
    process: deps.process,
    ...(deps.relay ? { relay: deps.relay } : {}),
  });
  const approvals = new ApprovalTasks({ engine: deps.engine, bindings, retentionMs: deps.retentionMs, log: deps.log });
  deps.engine.runTasksWith(approvedTaskRunner({ ...deps, tasks: upstream }));
  const subscriptions = new TaskSubscriptions({ engine: deps.engine, bindings, approvals, upstream, log: deps.log });
  return {
    upstream,
    approvals,
    router: new TaskRouter({ bindings, upstream, approvals }),
    subscriptions,
    listen: (options) => new TaskListen({ ...options, subscriptions }),
  };
}
