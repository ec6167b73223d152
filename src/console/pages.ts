import type { ApprovalView } from '../approvals/index.js';
import { formatSpan } from '../shared/index.js';
import { html, layout, type Html, type PageChrome } from './html.js';
import { storyHref } from './story.js';

/**
 * The pending and history pages and the login form, as pure functions of what they show. Arguments
 * arrive here already redacted (the server applies the audit redactor), and every value goes
 * through `html`, so nothing an agent sent can become markup.
 */

/** An approval as the console shows it: arguments redacted; pending held requests with the agents waiting on them now. */
export type ConsoleApproval = ApprovalView & { agentsWaiting?: number };

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

function noticeBlock(notice: Notice | undefined): Html {
  return html`<div id="notice" role="status" aria-live="polite" class="${notice ? `notice ${notice.kind}` : 'notice'}">
    ${notice?.text}
  </div>`;
}

const when = (at: number) => new Date(at).toISOString();

function args(view: ApprovalView): Html {
  const pretty = JSON.stringify(view.args ?? {}, null, 2);
  const oneLine = JSON.stringify(view.args ?? {});
  const summary = oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine;
  return html`<details class="args">
    <summary><code>${summary}</code></summary>
    <pre><code>${pretty}</code></pre>
  </details>`;
}

/** How the agent waits: a task runs once approved; a held request's agent is connected now or will collect the decision on its next call. */
function waiting(view: ConsoleApproval): string {
  if (view.task) return 'an MCP task — runs once approved; the agent polls for the result';
  if (view.agentsWaiting === undefined) return 'a held request (whether the agent is connected now is unknown)';
  if (view.agentsWaiting === 0) return 'detached — no request is open; it collects the decision when it calls again';
  return `waiting — ${view.agentsWaiting === 1 ? 'its request is' : `${view.agentsWaiting} requests are`} held open for the decision`;
}

function pendingItem(view: ConsoleApproval, csrf: string, now: number): Html {
  const approvals = `${view.approvals.length} of ${view.minApprovals}`;
  const by = view.approvals.map((a) => a.approver).join(', ');
  return html`<li class="approval" id="${view.id}" data-id="${view.id}">
    <h2><span class="tool">${view.server}/${view.tool}</span> <span class="grant">for ${view.grant}</span></h2>
    <dl>
      <dt>Grant</dt>
      <dd>${view.grant}${view.owner ? html` (owner ${view.owner})` : ''}</dd>
      <dt>Arguments</dt>
      <dd>${args(view)}</dd>
      <dt>Rule</dt>
      <dd><code>${view.rule}</code>${view.reason ? html` — ${view.reason}` : ''}</dd>
      <dt>Age</dt>
      <dd><time datetime="${when(view.createdAt)}" data-age>${formatSpan(now - view.createdAt)}</time></dd>
      <dt>Expires</dt>
      <dd>
        in
        <time datetime="${when(view.expiresAt)}" data-countdown>${formatSpan(view.expiresAt - now, { up: true })}</time>
      </dd>
      <dt>Approvals</dt>
      <dd class="count">${approvals}${by ? html` (${by})` : ''}</dd>
      <dt>Agent</dt>
      <dd class="agent">${waiting(view)}</dd>
      <dt>Id</dt>
      <dd>
        <a href="${storyHref(view.id)}" title="The call's story so far"><code>${view.id}</code></a>
      </dd>
    </dl>
    <div class="decide">
      <form method="post" action="/console/approvals/${view.id}/approve" data-decide="approve">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button type="submit" class="approve">Approve</button>
      </form>
      <form method="post" action="/console/approvals/${view.id}/deny" data-decide="deny">
        <input type="hidden" name="csrf" value="${csrf}" />
        <label for="reason-${view.id}">Reason for denying</label>
        <input id="reason-${view.id}" name="reason" type="text" maxlength="500" autocomplete="off" />
        <button type="submit" class="deny">Deny</button>
      </form>
    </div>
  </li>`;
}

/** The live part of the pending page: re-fetched and swapped in on every change the stream announces. */
export function pendingList(views: readonly ConsoleApproval[], csrf: string, now = Date.now()): Html {
  if (views.length === 0) return html`<p class="empty">No calls are waiting for approval.</p>`;
  return html`<ol class="approvals">
    ${views.map((v) => pendingItem(v, csrf, now))}
  </ol>`;
}

export function pendingPage(
  chrome: Omit<PageChrome, 'title' | 'current'> & { csrf: string },
  views: readonly ConsoleApproval[],
  notice?: Notice,
): Html {
  return layout(
    { ...chrome, title: 'Pending approvals', current: 'pending' },
    html`<h1>Pending approvals</h1>
      ${noticeBlock(notice)}
      <p class="live" data-live-status aria-live="polite">Updates live.</p>
      <section id="pending" data-fragment="/console/fragments/pending" aria-label="Held calls">
        ${pendingList(views, chrome.csrf)}
      </section>`,
  );
}

function outcome(view: ApprovalView): string {
  if (view.state === 'executed') return `executed (${view.outcome ?? 'unknown'})`;
  return view.state;
}

export function historyPage(chrome: Omit<PageChrome, 'title' | 'current'>, views: readonly ApprovalView[]): Html {
  const rows = views.map(
    (v) =>
      html`<tr>
        <td>
          <a href="${storyHref(v.id)}"><code>${v.id}</code></a>
        </td>
        <td>${v.server}/${v.tool}</td>
        <td>${v.grant}</td>
        <td class="state-${v.state}">${outcome(v)}</td>
        <td>${v.decidedBy ?? (v.state === 'expired' ? 'nobody (expired)' : '-')}</td>
        <td>
          ${v.decidedAt === undefined ? '-' : html`<time datetime="${when(v.decidedAt)}">${when(v.decidedAt)}</time>`}
        </td>
        <td>${v.decisionReason ?? ''}</td>
      </tr>`,
  );
  return layout(
    { ...chrome, title: 'History', current: 'history' },
    html`<h1>Decided approvals</h1>
      ${
        views.length === 0
          ? html`<p class="empty">No approval has been decided yet (within the retention period).</p>`
          : html`<div class="table-wrap">
              <table>
                <caption>
                  Newest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Id</th>
                    <th scope="col">Tool</th>
                    <th scope="col">Grant</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Decided by</th>
                    <th scope="col">When</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
      }`,
  );
}

export function loginPage(error?: string): Html {
  return layout(
    { title: 'Log in' },
    html`<h1>Log in to the Airlock console</h1>
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
      <form method="post" action="/console/login" class="login">
        <label for="name">Name</label>
        <input id="name" name="name" type="text" autocomplete="username" required autofocus />
        <label for="password">Password or token</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </form>`,
  );
}

/** What a browser sees when console.users is empty. */
export const CONSOLE_OFF =
  'The Airlock console is off: add users to the "console" section of airlock.config.json ' +
  '(console.users: [{ "name", "user_id", "password_hash" | "token" | "token_sha256" }]; ' +
  'make a hash with `airlock console hash-password`), then restart.\n';
