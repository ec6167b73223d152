import { createHmac } from 'node:crypto';

/**
 * Interaction payloads as Slack sends them: `payload=<json>` form bodies signed with the v0
 * scheme (X-Slack-Signature = "v0=" + hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).
 */
function signature(secret: string, timestamp: number, body: string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
}

export interface PostOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Sign with this secret instead (a forgery). */
  signWith?: string;
}

/** POSTs a signed interaction payload to the Bolt receiver; resolves with the HTTP status. */
export async function postInteraction(
  url: string,
  secret: string,
  payload: unknown,
  options: PostOptions = {},
): Promise<number> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1_000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(options.signWith ?? secret, timestamp, body),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

const TEAM = { id: 'T0FAKE', domain: 'fake' };

/** A block_actions payload for one button click on an approval message. */
export function buttonClick(options: {
  actionId: string;
  approvalId: string;
  user: string;
  channel: string;
  ts: string;
  responseUrl: string;
  triggerId?: string;
}) {
  return {
    type: 'block_actions',
    team: TEAM,
    user: {
      id: options.user,
      username: options.user.toLowerCase(),
      name: options.user.toLowerCase(),
      team_id: TEAM.id,
    },
    api_app_id: 'A0AIRLOCK',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: options.ts, channel_id: options.channel, is_ephemeral: false },
    trigger_id: options.triggerId ?? `trigger-${Math.random().toString(16).slice(2)}`,
    channel: { id: options.channel, name: 'approvals' },
    message: { type: 'message', ts: options.ts, text: 'approval', user: 'U0BOT' },
    response_url: options.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: 'airlock_decision',
        value: options.approvalId,
        text: { type: 'plain_text', text: 'x' },
        action_ts: String(Date.now() / 1_000),
      },
    ],
  };
}

/** A view_submission payload for the Deny modal, with the reason typed in. */
export function modalSubmission(options: {
  callbackId: string;
  privateMetadata: string;
  user: string;
  reason?: string;
}) {
  return {
    type: 'view_submission',
    team: TEAM,
    user: {
      id: options.user,
      username: options.user.toLowerCase(),
      name: options.user.toLowerCase(),
      team_id: TEAM.id,
    },
    api_app_id: 'A0AIRLOCK',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${Math.random().toString(16).slice(2)}`,
    view: {
      id: 'V0MODAL',
      team_id: TEAM.id,
      type: 'modal',
      callback_id: options.callbackId,
      private_metadata: options.privateMetadata,
      title: { type: 'plain_text', text: 'Deny call' },
      blocks: [],
      state: { values: { reason: { reason: { type: 'plain_text_input', value: options.reason ?? null } } } },
      hash: 'h',
      root_view_id: 'V0MODAL',
      app_id: 'A0AIRLOCK',
      bot_id: 'B0BOT',
    },
  };
}
