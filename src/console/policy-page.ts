import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CounterUsage } from '../limits/index.js';
import {
  PolicyError,
  classify,
  describeDecision,
  effect,
  parsePolicy,
  type CompiledPolicy,
  type NormalizedLimit,
  type PolicyIssue,
} from '../policy/index.js';
import { classifyTool, describeClass, shortRiskClass, type ClassifiedTool, type RiskClass } from '../risk/index.js';
import { html, layout, type Html, type PageChrome } from './html.js';

/**
 * The policy page: what the policy in force decides for every upstream tool, grant by grant (the
 * `airlock check` table, with the counters' current use), and an editor that validates with
 * check's own messages and saves only a valid file, so the gateway's watcher reloads it.
 */

/** A limit of a tool's decision, with its counter's use in Redis when known. */
export interface LimitUse {
  counter: string;
  max: number;
  window: string;
  scope: NormalizedLimit['scope'];
  /** From the policy: /all_tools/limits/0, /tools/x/rate_limit, … */
  rule: string;
  /** Admissions in the current window (the busiest session for session scope); undefined: not known. */
  used?: number;
  /** When the oldest admission leaves the window (ISO); null: the window is empty. */
  resetsAt?: string | null;
}

export interface ToolRow {
  server: string;
  tool: string;
  risk: RiskClass;
  /** check's DECISION column: "allow", "require_approval (conditional)", "deny (hidden)". */
  decision: string;
  action: 'allow' | 'deny' | 'require_approval';
  hidden: boolean;
  limits: LimitUse[];
  /** check's APPROVAL column, or "-". */
  approval: string;
  rule: string;
  reason?: string;
  /** What the policy's shadow parts would decide instead, when it differs (check's SHADOW column). */
  shadow?: string;
}

export interface GrantTable {
  grant: string;
  /** The grant's own policy file, or undefined for the global one. */
  policyFile?: string;
  defaultAction: string;
  wholeShadow: boolean;
  rows: ToolRow[];
}

export interface PolicyGrantInput {
  name: string;
  policy?: string | undefined;
}

/** Counter rows that belong to this limit as seen by this grant. */
function useOf(
  limit: NormalizedLimit,
  grant: string,
  usage: readonly CounterUsage[],
): Pick<LimitUse, 'used' | 'resetsAt'> {
  const rows = usage.filter(
    (u) =>
      u.counter === limit.counter &&
      u.scope === limit.scope &&
      u.windowMs === limit.windowMs &&
      u.max === limit.max &&
      (limit.scope === 'global' || (limit.scope === 'grant' ? u.scopeId === grant : u.grant === grant)),
  );
  if (rows.length === 0) return { used: 0, resetsAt: null };
  const busiest = rows.reduce((a, b) => (b.used > a.used ? b : a));
  return { used: busiest.used, resetsAt: busiest.resetsAt };
}

/**
 * The effective decision table of every grant: `check`'s rows (policy × upstream tools) with risk
 * classes, and each limit's use from `usage` (RateLimiter.usage(); undefined when Redis is not
 * readable: no use is shown).
 */
export function effectiveTables(input: {
  grants: readonly PolicyGrantInput[];
  policyFor: (grant: PolicyGrantInput) => CompiledPolicy;
  toolsByServer: ReadonlyMap<string, readonly ClassifiedTool[]>;
  usage?: readonly CounterUsage[] | undefined;
}): GrantTable[] {
  return input.grants.map((grant) => {
    const policy = input.policyFor(grant);
    const rows = [...input.toolsByServer].flatMap(([server, tools]) =>
      tools.map((tool): ToolRow => {
        const d = classify(policy, server, tool.name);
        const { decision, approval } = describeDecision(d);
        const shadow = policy.shadow === undefined ? undefined : classify(policy.shadow, server, tool.name);
        return {
          server,
          tool: tool.name,
          risk: classifyTool(tool),
          decision,
          action: d.action,
          hidden: d.hidden,
          limits: d.limits.map((l) => ({
            counter: l.counter,
            max: l.max,
            window: l.window,
            scope: l.scope,
            rule: l.rule,
            ...(input.usage === undefined ? {} : useOf(l, grant.name, input.usage)),
          })),
          approval,
          rule: d.rule,
          ...(d.reason === undefined ? {} : { reason: d.reason }),
          ...(shadow !== undefined && effect(shadow) !== effect(d)
            ? { shadow: `would ${effect(shadow)} (${shadow.rule})` }
            : {}),
        };
      }),
    );
    return {
      grant: grant.name,
      ...(grant.policy === undefined ? {} : { policyFile: grant.policy }),
      defaultAction: policy.default,
      wholeShadow: policy.document.mode === 'shadow',
      rows,
    };
  });
}

// ---- the editor

export type PolicyValidation = { ok: true; policy: CompiledPolicy } | { ok: false; issues: PolicyIssue[] };

/**
 * The same validation, and the same issues, as `airlock check` (and the gateway's loader):
 * check prints each as `<file>: <path>: <message>` (formatPolicyIssues).
 */
export function validatePolicyText(text: string, sourceName = 'policy'): PolicyValidation {
  try {
    return { ok: true, policy: parsePolicy(text, sourceName) };
  } catch (error) {
    if (error instanceof PolicyError) return { ok: false, issues: [...error.issues] };
    throw error;
  }
}

/**
 * Validates `text` and, only when valid, replaces `file` atomically: a temporary file in the same
 * folder renamed over it, so neither the watcher nor a crash ever sees half a file.
 */
export async function savePolicyText(file: string, text: string): Promise<PolicyValidation> {
  const result = validatePolicyText(text, file);
  if (!result.ok) return result;
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // Keep the file's permissions: the rename replaces the inode.
  const mode = (await stat(file).catch(() => undefined))?.mode;
  try {
    await writeFile(temp, text, { flag: 'wx', ...(mode === undefined ? {} : { mode: mode & 0o777 }) });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return result;
}

/** The JSON the validate and save endpoints answer: the issues, or that it is valid. */
export function validationJson(result: PolicyValidation): { ok: true } | { ok: false; issues: PolicyIssue[] } {
  return result.ok ? { ok: true } : { ok: false, issues: result.issues };
}

function textOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object' && typeof (body as { text?: unknown }).text === 'string')
    return (body as { text: string }).text;
  return undefined;
}

const NO_TEXT = {
  ok: false as const,
  issues: [{ path: '', message: 'expected a JSON body {"text": "<the policy>"}' }],
};

/** POST /console/api/policy/validate, body {"text": …} → 200 {ok, issues?}. */
export function handleValidate(body: unknown): { status: number; json: unknown } {
  const text = textOf(body);
  if (text === undefined) return { status: 400, json: NO_TEXT };
  return { status: 200, json: validationJson(validatePolicyText(text)) };
}

/** PUT /console/api/policy, body {"text": …} → 200 {ok: true} saved, or 422 {ok: false, issues} and the file unchanged. */
export async function handleSave(file: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const text = textOf(body);
  if (text === undefined) return { status: 400, json: NO_TEXT };
  const result = await savePolicyText(file, text);
  return { status: result.ok ? 200 : 422, json: validationJson(result) };
}

// ---- the page

function limitCell(l: LimitUse, now: number): Html {
  const use =
    l.used === undefined
      ? ''
      : html` — <span class="use">${l.used}/${l.max} used</span>${
            l.resetsAt
              ? html`, frees up
                  <time datetime="${l.resetsAt}" title="${l.resetsAt}"
                    >in ${Math.max(0, Math.ceil((Date.parse(l.resetsAt) - now) / 1000))} s</time
                  >`
              : ''
          }`;
  return html`<li><code>${l.counter}</code> ${l.max}/${l.window} per ${l.scope}${use}</li>`;
}

function grantSection(table: GrantTable, now: number): Html {
  const shadowColumn = table.rows.some((r) => r.shadow !== undefined);
  return html`<section aria-labelledby="grant-${table.grant}">
    <h2 id="grant-${table.grant}">Grant <code>${table.grant}</code></h2>
    <p>
      Policy: ${table.policyFile === undefined ? 'the global file' : html`<code>${table.policyFile}</code>`} (default
      ${table.defaultAction})${table.wholeShadow ? ' — in shadow mode: every call is allowed and what it would do is only audited' : ''}
    </p>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Decisions for ${table.grant}">
      <table class="decisions">
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Risk</th>
            <th scope="col">Decision</th>
            <th scope="col">Limits</th>
            <th scope="col">Approval</th>
            ${shadowColumn ? html`<th scope="col">Shadow</th>` : ''}
            <th scope="col">Rule</th>
          </tr>
        </thead>
        <tbody>
          ${table.rows.map(
            (r) =>
              html`<tr class="action-${r.action}">
                <th scope="row">${r.server}/${r.tool}</th>
                <td title="${describeClass(r.risk)}: ${r.risk.reason}">${shortRiskClass(r.risk)}</td>
                <td>${r.decision}</td>
                <td>
                  ${
                    r.limits.length === 0
                      ? '-'
                      : html`<ul>
                          ${r.limits.map((l) => limitCell(l, now))}
                        </ul>`
                  }
                </td>
                <td>${r.approval}</td>
                ${shadowColumn ? html`<td>${r.shadow ?? '-'}</td>` : ''}
                <td><code>${r.rule}</code>${r.reason === undefined ? '' : html`<br /><small>${r.reason}</small>`}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

export interface PolicyPageView {
  tables: GrantTable[];
  /** The file the editor saves (the global policy). */
  file: string;
  /** The editor's text: the file as it is, or what was submitted. */
  text: string;
  /** Issues to show at once (a rejected form post); the script replaces them as the text changes. */
  issues?: readonly PolicyIssue[];
  /** Why counters' use is missing (Redis not readable), if it is. */
  usageNote?: string;
  /** Upstreams whose tools could not be listed. */
  unreachable?: readonly { name: string; error: string }[];
  /** The form path saved the file just now (the page after its redirect). */
  saved?: boolean;
  /** The file's last edit was rejected by the gateway's loader: why (the previous policy is in force). */
  rejectedEdit?: string;
}

/**
 * The page. The editor's contract with the console script: textarea #policy-text, the issue list
 * #policy-issues (aria-live) filled from `data-validate-url` as the text changes, and the form
 * sends {"text"} with PUT to `data-save-url` (X-CSRF-Token); without script the form posts
 * `text` and `csrf` to /console/policy.
 */
export function renderPolicyPage(view: PolicyPageView, chrome: PageChrome, now = Date.now()): Html {
  const issues = view.issues ?? [];
  return layout(
    chrome,
    html`<h1>Policy</h1>
      ${
        view.unreachable === undefined || view.unreachable.length === 0
          ? ''
          : html`<div role="alert">
              <ul>
                ${view.unreachable.map((u) => html`<li>Upstream ${u.name}: ${u.error}; its tools are not shown.</li>`)}
              </ul>
            </div>`
      }
      ${
        view.saved
          ? html`<p class="notice ok" role="status">
              Saved. The gateway reloads the file in a moment (every process watching it).
            </p>`
          : ''
      }
      ${
        view.rejectedEdit === undefined
          ? ''
          : html`<p class="notice error" role="alert">
              The file's last edit was rejected (${view.rejectedEdit}); the previous policy is in force.
            </p>`
      }
      ${view.usageNote === undefined ? '' : html`<p class="note">${view.usageNote}</p>`}
      ${view.tables.map((t) => grantSection(t, now))}
      <section aria-labelledby="editor-heading">
        <h2 id="editor-heading">Edit <code>${view.file}</code></h2>
        <form
          id="policy-editor"
          method="post"
          action="/console/policy"
          data-validate-url="/console/api/policy/validate"
          data-save-url="/console/api/policy"
        >
          <input type="hidden" name="csrf" value="${chrome.csrf ?? ''}" />
          <p>
            <label for="policy-text">Policy file (JSON)</label>
            <small id="policy-text-hint"
              >Checked as you type with the same rules as <code>airlock check</code>; saved only when valid, and the
              gateway reloads it.</small
            >
          </p>
          <textarea
            id="policy-text"
            name="text"
            rows="30"
            spellcheck="false"
            aria-describedby="policy-text-hint policy-issues"
            ${issues.length > 0 ? html`aria-invalid="true"` : ''}
          >
${view.text}</textarea>
          <div id="policy-issues" aria-live="polite" role="status">
            ${
              issues.length === 0
                ? ''
                : html`<p>${issues.length} problem${issues.length === 1 ? '' : 's'}:</p>
                    <ul>
                      ${issues.map((i) => html`<li><code>${i.path === '' ? '(file)' : i.path}</code>: ${i.message}</li>`)}
                    </ul>`
            }
          </div>
          <button type="submit">Save</button>
        </form>
      </section>`,
  );
}
