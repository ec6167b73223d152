import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { ApprovalEngine } from '../approvals/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { ApprovalTasks } from './approval-tasks.js';
import type { TaskBinding, TaskBindings, UpstreamBinding } from './task-bindings.js';
import type { UpstreamTasks } from './upstream-tasks.js';

type Json = Record<string, unknown>;

/** Where a subscription's notifications go (an SSE listen stream, a stdio connection). */
export interface TaskSink {
  notify(method: 'notifications/tasks', params: Json): void;
}

/** The task ids of a listen filter that are the grant's own tasks, with what each one is. */
export type HonouredTasks = ReadonlyMap<string, TaskBinding>;

export interface TaskSubscriptionsDeps {
  engine: ApprovalEngine;
  bindings: TaskBindings;
  approvals: Pick<ApprovalTasks, 'snapshot'>;
  upstream: Pick<UpstreamTasks, 'get'>;
  log: Logger;
  /** Bounds on how often an upstream task is polled (its own pollIntervalMs, within these). */
  pollMs?: { min: number; max: number; fallback: number };
}

const POLL_MS = { min: 250, max: 30_000, fallback: 2_000 };
/** After an upstream did not answer a poll (it restarts, Redis is down): try again this much later. */
const RETRY_MS = 5_000;

export const isTerminal = (task: Json) => ['completed', 'failed', 'cancelled'].includes(String(task['status']));

/**
 * `notifications/tasks` for listen subscriptions, whatever carries them. A subscriber gets each
 * task's current state at once (a task that finished before the listen is told, not waited on),
 * then every change: approval tasks on each change any Airlock process makes to the approval
 * (the engine's pub/sub events); upstream tasks by polling the upstream's tasks/get at the
 * task's own pollIntervalMs, since an upstream's notifications reach only the process and the
 * connection that listened, while a binding may name a task of any process.
 */
export class TaskSubscriptions {
  private readonly approvalWatchers = new Map<string, Set<(task: Json) => void>>();
  private readonly onChange = ({ id }: { id: string }) => {
    const watchers = this.approvalWatchers.get(id);
    if (watchers === undefined) return;
    void this.approvalTask(id).then((task) => {
      if (task !== undefined) for (const watcher of watchers) watcher(task);
    });
  };

  constructor(private readonly deps: TaskSubscriptionsDeps) {
    deps.engine.events.on('change', this.onChange);
  }

  /** The requested ids that are this grant's tasks (another grant's, or no task, are left out). */
  async honour(grant: string, requested: readonly string[]): Promise<HonouredTasks> {
    const honoured = new Map<string, TaskBinding>();
    for (const id of new Set(requested)) {
      const binding = await this.deps.bindings.lookup(grant, id).catch((error: unknown) => {
        this.deps.log.warn({ grant, err: describeError(error) }, 'task listen: binding unreadable');
        return undefined;
      });
      if (binding !== undefined) honoured.set(id, binding);
    }
    return honoured;
  }

  /**
   * Sends the honoured tasks' states to `sink` from now on; the returned function stops it.
   * @param capabilities the listening agent's client capabilities (the envelope of an upstream poll).
   */
  watch(sink: TaskSink, tasks: HonouredTasks, capabilities: unknown): () => void {
    const stops: (() => void)[] = [];
    for (const [id, binding] of tasks) {
      const send = changesOnly(sink);
      if ('approval' in binding) stops.push(this.watchApproval(binding.approval, send));
      else stops.push(this.pollUpstream(id, binding, capabilities, send));
    }
    return () => stops.splice(0).forEach((stop) => stop());
  }

  close(): void {
    this.deps.engine.events.off('change', this.onChange);
    this.approvalWatchers.clear();
  }

  private watchApproval(approvalId: string, send: (task: Json) => void): () => void {
    const watchers = this.approvalWatchers.get(approvalId) ?? new Set();
    this.approvalWatchers.set(approvalId, watchers);
    watchers.add(send);
    void this.approvalTask(approvalId).then((task) => task !== undefined && watchers.has(send) && send(task));
    return () => {
      watchers.delete(send);
      if (watchers.size === 0) this.approvalWatchers.delete(approvalId);
    };
  }

  private async approvalTask(approvalId: string): Promise<Json | undefined> {
    try {
      return await this.deps.approvals.snapshot(approvalId);
    } catch (error) {
      this.deps.log.warn({ approval: approvalId, err: describeError(error) }, 'task notification not sent');
      return undefined;
    }
  }

  /** Polls an upstream task until it ends, is gone, or the subscription stops. */
  private pollUpstream(
    taskId: string,
    binding: UpstreamBinding,
    capabilities: unknown,
    send: (task: Json) => void,
  ): () => void {
    const bounds = this.deps.pollMs ?? POLL_MS;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const next = (ms: number) => {
      if (!stopped) timer = setTimeout(() => void poll(), ms);
    };
    const poll = async () => {
      try {
        const task = await this.deps.upstream.get(binding, taskId, capabilities);
        if (stopped) return;
        send(asNotification(task));
        if (isTerminal(task)) return;
        const asked = typeof task['pollIntervalMs'] === 'number' ? task['pollIntervalMs'] : bounds.fallback;
        next(Math.min(bounds.max, Math.max(bounds.min, asked)));
      } catch (error) {
        // Not found or expired upstream: nothing more will come. Anything else may pass.
        if (error instanceof ProtocolError && error.code === ProtocolErrorCode.InvalidParams) return;
        this.deps.log.debug({ task: taskId, err: describeError(error) }, 'upstream task poll failed; retrying');
        next(RETRY_MS);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}

/** A tasks/get result as notification params: the task, without the result's own fields. */
function asNotification(result: Json): Json {
  const { resultType: _resultType, _meta: _ignored, ...task } = result;
  return task;
}

/** A sink that is told a task only when it differs from what it was told last. */
function changesOnly(sink: TaskSink): (task: Json) => void {
  let last: string | undefined;
  return (task) => {
    const text = JSON.stringify(task);
    if (text === last) return;
    last = text;
    sink.notify('notifications/tasks', task);
  };
}
