import {
  CLIENT_CAPABILITIES_META_KEY,
  SUBSCRIPTION_ID_META_KEY,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { describeError, type Logger } from '../shared/index.js';
import { isTaskListen, missingTasksExtension, strings } from './task-listen.js';
import type { HonouredTasks, TaskSubscriptions } from './task-subscriptions.js';

type Json = Record<string, unknown>;

/**
 * notifications/tasks for a stdio agent. The SDK's stdio entry serves `subscriptions/listen`
 * itself (list changes only) before any server of ours sees it, so this sits between it and the
 * wire: a listen naming task ids still goes to the SDK, and when the SDK acknowledges it, the
 * grant's tasks among those ids are added to the acknowledgement and watched under the same
 * subscription id, until the agent cancels it or the connection ends.
 */
export class TaskListenTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  private readonly pending = new Map<RequestId, { tasks: Promise<HonouredTasks>; capabilities: unknown }>();
  private readonly active = new Map<RequestId, () => void>();

  constructor(
    private readonly wire: Transport,
    private readonly grant: string,
    private readonly subscriptions: TaskSubscriptions,
    private readonly log: Logger,
  ) {}

  get sessionId(): string | undefined {
    return this.wire.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.wire.setProtocolVersion?.(version);
  }

  async start(): Promise<void> {
    this.wire.onmessage = (message, extra) => this.inbound(message, extra);
    this.wire.onerror = (error) => this.onerror?.(error);
    this.wire.onclose = () => {
      this.stopAll();
      this.onclose?.();
    };
    await this.wire.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const acknowledged = acknowledgedSubscription(message);
    if (acknowledged !== undefined && this.pending.has(acknowledged))
      return this.acknowledge(acknowledged, message as Json, options);
    // The listen's own answer (an error, or the graceful close): the subscription is over.
    const id = (message as { id?: RequestId }).id;
    if (id !== undefined && !('method' in message)) {
      this.pending.delete(id);
      this.stop(id);
    }
    return this.wire.send(message, options);
  }

  async close(): Promise<void> {
    this.stopAll();
    await this.wire.close();
  }

  private inbound(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (isTaskListen(message)) {
      const refused = missingTasksExtension(message);
      if (refused !== undefined) {
        void this.wire.send(refused as JSONRPCMessage).catch(() => {});
        return;
      }
      const tasks = this.subscriptions.honour(this.grant, strings(message.params.notifications['taskIds']));
      const capabilities = message.params._meta?.[CLIENT_CAPABILITIES_META_KEY];
      this.pending.set(message.id, { tasks, capabilities });
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId !== undefined) this.stop(requestId);
    }
    this.onmessage?.(message, extra);
  }

  /** The SDK's acknowledgement, with the grant's tasks added; then they are watched. */
  private async acknowledge(id: RequestId, message: Json, options?: TransportSendOptions): Promise<void> {
    const { tasks, capabilities } = this.pending.get(id)!;
    this.pending.delete(id);
    const honoured = await tasks;
    const params = message['params'] as { notifications: Json };
    if (honoured.size > 0) params.notifications = { ...params.notifications, taskIds: [...honoured.keys()] };
    await this.wire.send(message as JSONRPCMessage, options);
    if (honoured.size === 0) return;
    const sink = {
      notify: (method: string, task: Json) => {
        const meta = { ...(task['_meta'] as Json | undefined), [SUBSCRIPTION_ID_META_KEY]: id };
        const notification = { jsonrpc: '2.0' as const, method, params: { ...task, _meta: meta } };
        this.wire
          .send(notification)
          .catch((error: unknown) => this.log.debug({ err: describeError(error) }, 'stdio task notification not sent'));
      },
    };
    this.active.set(id, this.subscriptions.watch(sink, honoured, capabilities));
  }

  private stop(id: RequestId): void {
    this.active.get(id)?.();
    this.active.delete(id);
  }

  private stopAll(): void {
    for (const stop of this.active.values()) stop();
    this.active.clear();
    this.pending.clear();
  }
}

function acknowledgedSubscription(message: JSONRPCMessage): RequestId | undefined {
  if (!('method' in message) || message.method !== 'notifications/subscriptions/acknowledged') return undefined;
  return (message.params?.['_meta'] as Json | undefined)?.[SUBSCRIPTION_ID_META_KEY] as RequestId | undefined;
}
