import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AuditSource } from '../audit/index.js';
import { sendJson } from '../http/index.js';
import type { CounterUsage } from '../limits/index.js';
import type { CompiledPolicy } from '../policy/index.js';
import type { ClassifiedTool } from '../risk/index.js';
import { describeError } from '../shared/index.js';
import { handleEvents, parseEventFilter, recentEvents } from './events.js';
import type { PageChrome } from './html.js';
import {
  effectiveTables,
  handleSave,
  handleValidate,
  renderPolicyPage,
  savePolicyText,
  type PolicyGrantInput,
  type PolicyPageView,
} from './policy-page.js';
import { formBody, jsonBody, page, redirect } from './respond.js';
import { callStory, handleStory, loadCallEvents } from './story.js';

/** What the operator pages read from the running gateway (each boundary's own view, passed in by the wiring). */
export interface OperatorData {
  /** Where events are read: the Redis stream while Redis answers (every process's events), else the audit files. */
  auditSource: () => AuditSource;
  policies: { policyFor(grant: PolicyGrantInput): CompiledPolicy };
  grants: readonly PolicyGrantInput[];
  /** The global policy file: the one the editor saves and hot reload watches. */
  policyFile: string;
  /** Every upstream's tools by upstream name, as the catalogue lists them now. */
  tools: () => ReadonlyMap<string, readonly ClassifiedTool[]>;
  /** Upstreams whose tools are not known now (not connected). */
  unreachable: () => { name: string; error: string }[];
  /** The counters' current use (Redis). */
  usage: () => Promise<CounterUsage[]>;
  /** The last rejected edit of the policy file, if the one in force is older than the file. */
  rejectedEdit: () => string | undefined;
}

/** Refuses a cross-site or CSRF-less post (the server's checkPost for this request); `token` is the form's or header's. */
export type PostGuard = (token: string | undefined) => Promise<void>;

/**
 * The operator pages: a call's story, recent events, and the policy (effective decisions and
 * the editor), as pages and as the JSON API scripts use. Each handler answers true when the
 * path was its own.
 */
export function operatorRoutes(data: OperatorData) {
  async function policyView(text: string, extra: Partial<PolicyPageView> = {}): Promise<PolicyPageView> {
    let usage: CounterUsage[] | undefined;
    let usageNote: string | undefined;
    try {
      usage = await data.usage();
    } catch (error) {
      usageNote = `Counters' current use is not shown: ${describeError(error)}`;
    }
    const tables = effectiveTables({
      grants: data.grants,
      policyFor: (g) => data.policies.policyFor(g),
      toolsByServer: data.tools(),
      usage,
    });
    const rejected = data.rejectedEdit();
    return {
      tables,
      file: data.policyFile,
      text,
      unreachable: data.unreachable(),
      ...(usageNote === undefined ? {} : { usageNote }),
      ...(rejected === undefined ? {} : { rejectedEdit: rejected }),
      ...extra,
    };
  }

  const fileText = () => readFile(data.policyFile, 'utf8');

  async function pageRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    chrome: Omit<PageChrome, 'title' | 'current'>,
    guard: PostGuard,
  ): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const story = /^\/console\/calls\/([^/]+)$/u.exec(path);
    if (method === 'GET' && story) {
      const answer = await handleStory(data.auditSource(), decodeURIComponent(story[1]!), {
        ...chrome,
        current: 'events',
      });
      page(res, answer.status, answer.html.text);
      return true;
    }
    if (method === 'GET' && path === '/console/events') {
      const answer = await handleEvents(data.auditSource(), url.searchParams, chrome);
      page(res, answer.status, answer.html.text);
      return true;
    }
    if (path !== '/console/policy') return false;
    const policyChrome = { ...chrome, title: 'Policy', current: 'policy' as const };
    if (method === 'GET') {
      const view = await policyView(await fileText(), url.searchParams.has('saved') ? { saved: true } : {});
      page(res, 200, renderPolicyPage(view, policyChrome).text);
      return true;
    }
    if (method !== 'POST') return false;
    // Without the script: the form posts the text; a valid one is saved and the page comes back.
    const form = await formBody(req);
    await guard(form.get('csrf') ?? undefined);
    const submitted = form.get('text') ?? '';
    const result = await savePolicyText(data.policyFile, submitted);
    if (result.ok) redirect(res, '/console/policy?saved=1');
    else page(res, 422, renderPolicyPage(await policyView(submitted, { issues: result.issues }), policyChrome).text);
    return true;
  }

  async function apiRoute(req: IncomingMessage, res: ServerResponse, url: URL, guard: PostGuard): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const csrfHeader = () => {
      const header = req.headers['x-csrf-token'];
      return typeof header === 'string' ? header : undefined;
    };
    const story = /^\/console\/api\/calls\/([^/]+)$/u.exec(path);
    if (method === 'GET' && story) {
      const id = decodeURIComponent(story[1]!);
      const view = callStory(await loadCallEvents(data.auditSource(), id), id);
      if (!view.found) sendJson(res, 404, { error: { code: 'call_not_found', message: `no audit events name ${id}` } });
      else sendJson(res, 200, { story: view });
      return true;
    }
    if (method === 'GET' && path === '/console/api/events') {
      const filter = parseEventFilter(url.searchParams, Date.now());
      if (filter.errors.length > 0) {
        sendJson(res, 400, {
          error: { code: 'bad_filter', message: filter.errors.map((e) => `${e.field}: ${e.message}`).join('; ') },
        });
        return true;
      }
      sendJson(res, 200, await recentEvents(data.auditSource(), filter));
      return true;
    }
    if (method === 'GET' && path === '/console/api/policy') {
      const view = await policyView(await fileText());
      sendJson(res, 200, { file: view.file, text: view.text, tables: view.tables, unreachable: view.unreachable });
      return true;
    }
    if (method === 'POST' && path === '/console/api/policy/validate') {
      const body = await jsonBody(req);
      await guard(csrfHeader());
      const answer = handleValidate(body);
      sendJson(res, answer.status, answer.json);
      return true;
    }
    if (method === 'PUT' && path === '/console/api/policy') {
      const body = await jsonBody(req);
      await guard(csrfHeader());
      const answer = await handleSave(data.policyFile, body);
      sendJson(res, answer.status, answer.json);
      return true;
    }
    return false;
  }

  return { page: pageRoute, api: apiRoute };
}
