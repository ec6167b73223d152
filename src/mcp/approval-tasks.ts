import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import {
  isApprovalError,
  messageForOutcome,
  taskStatusMessage,
  type ApprovalEngine,
  type ApprovalView,
} from '../approvals/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { toToolResult } from './outcomes.js';
import type { TaskBindings } from './task-bindings.js';
import type { TaskMethod } from './upstream-tasks.js';

/** How often an agent is asked to poll an approval task: a human decides in minutes, not milliseconds. */
export const APPROVAL_POLL_INTERVAL_MS = 5_000;
/** A binding outlives its approval's longest life (timeout + retention) by this, for a slow execution. */
const BINDING_GRACE_MS = 3_600_000;

export interface ApprovalTasksDeps {
  engine: ApprovalEngine;
  bindings: TaskBindings;
  /** How long closed approvals and their results are kept (`approvals.retention`). */
  retentionMs: number;
  log: Logger;
}

type Json = Record<string, unknown>;

/**
 * Held calls as MCP tasks (the tasks extension): the approval is the task, its id the task id,
 * its state the task's status. A task is bound to its grant in the shared task id space before it
 * is returned; tasks/get reads the approval, so any Airlock process answers it.
 */
export class ApprovalTasks {
  constructor(private readonly deps: ApprovalTasksDeps) {}

  /** The CreateTaskResult for a held call's approval, once its task id is bound to the grant. */
  async open(grant: string, view: ApprovalView): Promise<Json> {
    const ttl = view.expiresAt - view.createdAt + this.deps.retentionMs + BINDING_GRACE_MS;
    if (!(await this.deps.bindings.claim(grant, view.id, { approval: view.id }, ttl)))
      throw new Error(`task id ${view.id} is already bound to another task of grant ${grant}`);
    return { resultType: 'task', ...this.task(view) };
  }

  /** tasks/get, tasks/update, tasks/cancel of an approval task (the grant was checked by the binding). */
  async handle(method: TaskMethod, approvalId: string, grant: string): Promise<Json | undefined> {
    const view = await this.deps.engine.find(approvalId);
    if (view === undefined) return undefined;
    switch (method) {
      case 'tasks/get':
        return { resultType: 'complete', ...(await this.detailed(view)) };
      case 'tasks/update':
        // An approval task never asks for input; responses to no outstanding request are ignored.
        return { resultType: 'complete' };
      case 'tasks/cancel':
        await this.cancel(view, grant);
        return { resultType: 'complete' };
    }
  }

  /** The task as tasks/get would show it now, without its side effects (for notifications/tasks). */
  async snapshot(approvalId: string): Promise<Json | undefined> {
    const view = await this.deps.engine.find(approvalId);
    return view === undefined ? undefined : this.task(view);
  }

  /** The task as tasks/get shows it, with the side effects of an agent having seen it. */
  private async detailed(view: ApprovalView): Promise<Json> {
    const { engine, log } = this.deps;
    if (view.state === 'approved')
      // Its job runs it; should the job be lost, whichever process the agent polls starts it (atomically, once).
      void engine
        .runTask(view)
        .catch((error: unknown) => log.warn({ approval: view.id, err: describeError(error) }, 'task not started'));
    if ((view.state === 'denied' || view.state === 'expired' || view.state === 'withdrawn') && !view.collected)
      // The agent has the decision: an identical call later asks anew, as after a held call's answer.
      await engine.markCollected(view.id).catch(() => false);
    return this.task(view);
  }

  private async cancel(view: ApprovalView, grant: string): Promise<void> {
    if (view.state !== 'pending') return; // running or done: the spec's acknowledgement only
    try {
      await this.deps.engine.withdraw(view.id, `agent:${grant}`, 'cancelled by the agent (tasks/cancel)');
    } catch (error) {
      // Decided meanwhile: acknowledged all the same (cancellation is cooperative).
      if (!isApprovalError(error, 'already_decided')) throw error;
    }
  }

  /** The approval as a task (DetailedTask): working until it ran or was decided against. */
  private task(view: ApprovalView): Json {
    const closedAt = view.finishedAt ?? view.decidedAt ?? view.expiresAt;
    const base = {
      taskId: view.id,
      statusMessage: taskStatusMessage(view),
      createdAt: new Date(view.createdAt).toISOString(),
      lastUpdatedAt: new Date(lastUpdated(view)).toISOString(),
      ttlMs: Math.max(closedAt, view.expiresAt) - view.createdAt + this.deps.retentionMs,
      pollIntervalMs: APPROVAL_POLL_INTERVAL_MS,
    };
    switch (view.state) {
      case 'pending':
      case 'approved':
      case 'executing':
        return { ...base, status: 'working' };
      case 'denied':
      case 'expired':
      case 'withdrawn':
        return {
          ...base,
          status: 'completed',
          result: complete(toToolResult(messageForOutcome({ kind: view.state, view }))),
        };
      case 'executed':
        return executedTask(base, view);
    }
  }
}

function executedTask(base: Json, view: ApprovalView): Json {
  switch (view.outcome) {
    case 'failed':
      return { ...base, status: 'failed', error: view.result };
    case 'unknown':
      return {
        ...base,
        status: 'failed',
        error: { code: ProtocolErrorCode.InternalError, message: taskStatusMessage(view) },
      };
    default:
      return { ...base, status: 'completed', result: complete(view.result) };
  }
}

/** A task's result is the request's own result in the 2026-07-28 wire: it says it is complete. */
function complete(result: unknown): Json {
  return { resultType: 'complete', ...(result as Json) };
}

function lastUpdated(view: ApprovalView): number {
  const times = [
    view.createdAt,
    view.decidedAt,
    view.executionStartedAt,
    view.finishedAt,
    ...view.approvals.map((a) => a.at),
  ];
  return Math.max(...times.filter((t): t is number => t !== undefined));
}
