import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from '../approvals/index.js';
import { approvalMessage, outcomeText, type Redactor } from './messages.js';
import type { MessageStore } from './message-store.js';
import { SendLater, type RetryAfterGate } from './outbox.js';

/** Longer than a whole sync can take (each Web API call times out after 10 s), so a live sender never loses it. */
const LOCK_MS = 120_000;
const BUSY_RETRY_MS = 300;
/** Transitions that land while we send are caught by re-reading; bounded, the next job finishes the rest. */
const MAX_ROUNDS = 5;

export interface MessageSyncDeps {
  engine: ApprovalEngine;
  client: WebClient;
  store: MessageStore;
  redact: Redactor;
  /** The rule's approval.channel wins; else this one. */
  defaultChannel: string;
  gate: RetryAfterGate;
}

/**
 * Makes an approval's Slack message show its current state: post it if it was never posted, else
 * chat.update it; once executed, reply in the thread with the outcome (once). Each send renders
 * the state read at send time and the per-approval lock allows one sender at a time, so a late
 * job can never put back an older state ("pending" over "approved"): ordering stops mattering.
 */
export async function syncApprovalMessage(deps: MessageSyncDeps, approvalId: string, force: boolean): Promise<void> {
  const { engine, client, store, redact } = deps;
  const token = await store.lock(approvalId, LOCK_MS);
  if (token === undefined)
    throw new SendLater(BUSY_RETRY_MS, `another process is sending approval ${approvalId}'s message`);
  try {
    await deps.gate.check();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const view = await engine.find(approvalId);
      if (view === undefined) return;
      const record = await store.get(approvalId);
      let { channel, ts } = record;
      if (channel === undefined || ts === undefined) {
        const answer = await client.chat.postMessage({
          channel: view.channel ?? deps.defaultChannel,
          ...approvalMessage(view, redact),
          unfurl_links: false,
          unfurl_media: false,
        });
        if (answer.channel === undefined || answer.ts === undefined)
          throw new Error('chat.postMessage answered without channel and ts');
        ({ channel, ts } = answer as { channel: string; ts: string });
        await store.posted(approvalId, channel, ts, view.version, view.expiresAt);
      } else if (force || record.version < view.version) {
        await client.chat.update({ channel, ts, ...approvalMessage(view, redact) });
        await store.rendered(approvalId, view.version, view.expiresAt);
      }
      force = false;
      if (view.state === 'executed' && !record.threaded) {
        await client.chat.postMessage({
          channel,
          thread_ts: ts,
          text: outcomeText(view, redact),
          unfurl_links: false,
          unfurl_media: false,
        });
        await store.threaded(approvalId, view.expiresAt);
      }
      const now = await engine.find(approvalId);
      if (now === undefined || now.version === view.version) return;
    }
  } catch (error) {
    // Before the lock goes: the next sender must already see Slack's Retry-After.
    await deps.gate.recordIfRateLimited(error);
    throw error;
  } finally {
    await store.unlock(approvalId, token).catch(() => {});
  }
}
