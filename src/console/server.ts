import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApprovalStateSchema, isApprovalError, type ApprovalEngine, type ApprovalView } from '../approvals/index.js';
import { createRedactor } from '../audit/index.js';
import type { Config, ConsoleUser } from '../config/index.js';
import { addressKey, sendJson, type Route } from '../http/index.js';
import { consoleSecret, type RedisClient } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { CONSOLE_ASSETS } from './assets.js';
import {
  checkCsrf,
  csrfToken,
  sameSecret,
  sessionCookie,
  sha256Hex,
  signSession,
  verifyPassword,
  verifySession,
} from './auth.js';
import { consumeLoginLink } from './login-link.js';
import { LoginThrottle } from './login-throttle.js';
import { operatorRoutes, type OperatorData } from './operator-routes.js';
import {
  historyPage,
  loginPage,
  pendingList,
  pendingPage,
  CONSOLE_OFF,
  type ConsoleApproval,
  type Notice,
} from './pages.js';
import { HttpRefusal, formBody, jsonBody, page, readCookie, redirect, text } from './respond.js';

const COOKIE = 'airlock_console';

export interface ConsoleOptions {
  config: Config;
  approvals: ApprovalEngine;
  redis: RedisClient;
  prefix: string;
  log: Logger;
  /** What the story, events and policy pages read. */
  data: OperatorData;
}

/** Who a request is: a console user, by session cookie (then `cookie` is set, and CSRF applies) or bearer token. */
interface Caller {
  user: ConsoleUser;
  cookie?: string;
}

/**
 * The console's one route, mounted at /console/* on the main listener: pages, assets, the JSON
 * API and the change stream. Decisions go through `engine.decide()` as the logged-in user's
 * user_id, so the approver rules are Slack's and the CLI's.
 */
export function createConsoleRoute(options: ConsoleOptions): Route {
  const { config, approvals, log } = options;
  const users = config.console.users;
  const redact = createRedactor(config.audit.redact);
  let secret: Promise<string> | undefined;
  const getSecret = () =>
    (secret ??= consoleSecret(options.redis, options.prefix).catch((e: unknown) => {
      secret = undefined;
      throw e;
    }));
  const byName = (name: string) => users.find((u) => u.name === name);
  const operator = operatorRoutes(options.data);
  const throttle = new LoginThrottle(options.redis, options.prefix);

  const shown = (view: ApprovalView): ApprovalView => ({ ...view, args: redact(view.args), argsSummary: '' });
  /** Shown views, each pending one with how many agents' requests wait on it now (any process). */
  const withWaiting = async (views: ApprovalView[]): Promise<ConsoleApproval[]> => {
    const open = views.filter((v) => v.state === 'pending' && !v.task).map((v) => v.id);
    const counts = await approvals.waitingAgents(open).catch(() => undefined);
    return views.map((v) => {
      const waiting = counts?.get(v.id);
      return waiting === undefined ? shown(v) : { ...shown(v), agentsWaiting: waiting };
    });
  };

  async function caller(req: IncomingMessage): Promise<Caller | undefined> {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const token = auth.slice(7).trim();
      const hash = sha256Hex(token);
      const user = users.find(
        (u) =>
          (u.token !== undefined && sameSecret(u.token, token)) ||
          (u.token_sha256 !== undefined && sameSecret(u.token_sha256, hash)),
      );
      return user === undefined ? undefined : { user };
    }
    const cookie = readCookie(req, COOKIE);
    if (cookie === undefined) return undefined;
    const session = verifySession(await getSecret(), cookie);
    const user = session && byName(session.user);
    return user === undefined ? undefined : { user, cookie };
  }

  async function setSession(res: ServerResponse, user: ConsoleUser, location: string): Promise<void> {
    const value = signSession(await getSecret(), {
      user: user.name,
      expiresAt: Date.now() + config.console.session_ttl,
    });
    const maxAge = Math.floor(config.console.session_ttl / 1000);
    res
      .writeHead(303, {
        location,
        'set-cookie': sessionCookie(COOKIE, value, maxAge, config.listen.host),
        'cache-control': 'no-store',
      })
      .end();
  }

  async function checkPost(req: IncomingMessage, who: Caller | undefined, token: string | undefined): Promise<void> {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new HttpRefusal(403, 'cross_site', `cross-site request refused (Sec-Fetch-Site: ${String(site)})`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host)
        throw new HttpRefusal(403, 'cross_site', `cross-site request refused (Origin: ${origin})`);
    } else if (origin === 'null') throw new HttpRefusal(403, 'cross_site', 'cross-site request refused (Origin: null)');
    if (who?.cookie !== undefined && !checkCsrf(await getSecret(), who.cookie, token))
      throw new HttpRefusal(403, 'csrf_invalid', 'missing or wrong CSRF token: reload the page and try again');
  }

  async function decide(who: Caller, id: string, decision: 'approve' | 'deny', reason: string) {
    const result = await approvals.decide(id, decision, who.user.user_id, reason);
    return result;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (users.length === 0) return text(res, 404, CONSOLE_OFF);
    if (path === '/console') return redirect(res, '/console/');
    if (path.startsWith('/console/assets/')) {
      const asset = CONSOLE_ASSETS[path.slice('/console/assets/'.length)];
      if (asset === undefined || method !== 'GET') return text(res, 404, 'Not found\n');
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' }).end(asset.body);
      return;
    }
    if (path === '/console/login') return login(req, res, url, method);
    const who = await caller(req);
    const api = path.startsWith('/console/api/');
    if (who === undefined) {
      if (api || method !== 'GET')
        return sendJson(res, 401, {
          error: {
            code: 'unauthenticated',
            message: 'log in to the console, or send Authorization: Bearer <console token>',
          },
        });
      return redirect(res, '/console/login');
    }
    if (api) return handleApi(req, res, url, method, who);
    const csrf = who.cookie === undefined ? '' : csrfToken(await getSecret(), who.cookie);
    const chrome = { user: who.user.name, csrf };
    if (method === 'GET' && path === '/console/') return page(res, 200, pendingPage(chrome, await pending()).text);
    if (method === 'GET' && path === '/console/fragments/pending')
      return page(res, 200, pendingList(await pending(), csrf).text);
    if (method === 'GET' && path === '/console/history')
      return page(res, 200, historyPage(chrome, await history()).text);
    if (await operator.page(req, res, url, chrome, (token) => checkPost(req, who, token))) return;
    if (method === 'POST' && path === '/console/logout') {
      const form = await formBody(req);
      await checkPost(req, who, form.get('csrf') ?? undefined);
      res
        .writeHead(303, {
          location: '/console/login',
          'set-cookie': sessionCookie(COOKIE, '', 0, config.listen.host),
        })
        .end();
      return;
    }
    const decision = /^\/console\/approvals\/([^/]+)\/(approve|deny)$/u.exec(path);
    if (method === 'POST' && decision) {
      const form = await formBody(req);
      await checkPost(req, who, form.get('csrf') ?? undefined);
      const id = decodeURIComponent(decision[1]!);
      let notice: Notice;
      let status = 200;
      try {
        await decide(who, id, decision[2] as 'approve' | 'deny', form.get('reason') ?? '');
        notice = {
          kind: 'ok',
          text: `${decision[2] === 'approve' ? 'Approved' : 'Denied'} ${id} as ${who.user.name} (${who.user.user_id}).`,
        };
      } catch (error) {
        const refusal = refusalOf(error);
        status = refusal.status;
        notice = { kind: 'error', text: refusal.message };
      }
      return page(res, status, pendingPage(chrome, await pending(), notice).text);
    }
    return text(res, 404, `Not found: ${path}\n`);
  }

  async function login(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    if (method === 'GET') {
      const once = url.searchParams.get('once');
      if (once === null) return page(res, 200, loginPage().text);
      const name = await consumeLoginLink(options.redis, options.prefix, once);
      const user = name === undefined ? undefined : byName(name);
      if (user === undefined)
        return page(res, 403, loginPage('That login link is used, expired or unknown: ask for a new one.').text);
      log.info({ console_user: user.name }, 'console login (one-time link)');
      return setSession(res, user, '/console/');
    }
    if (method !== 'POST') return text(res, 405, 'Method not allowed\n');
    const form = await formBody(req);
    await checkPost(req, undefined, undefined);
    const name = form.get('name') ?? '';
    const address = addressKey(req.socket.remoteAddress);
    const waitMs = await throttle.retryAfterMs(name, address);
    if (waitMs !== undefined) {
      const minutes = Math.ceil(waitMs / 60_000);
      log.warn({ console_user: name, address }, 'console login throttled');
      res.setHeader('retry-after', String(Math.ceil(waitMs / 1000)));
      return page(
        res,
        429,
        loginPage(
          `Too many failed logins for this name or from this address: try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or use a one-time login link (airlock console login-link).`,
        ).text,
      );
    }
    const user = byName(name);
    const password = form.get('password') ?? '';
    const ok =
      user !== undefined &&
      (user.password_hash !== undefined
        ? await verifyPassword(password, user.password_hash)
        : user.token !== undefined
          ? sameSecret(user.token, password)
          : sameSecret(user.token_sha256!, sha256Hex(password)));
    if (!ok) {
      await throttle.failed(name, address);
      log.info({ console_user: name, address }, 'console login refused');
      return page(res, 401, loginPage('Wrong name or password.').text);
    }
    await throttle.succeeded(name);
    log.info({ console_user: user.name }, 'console login');
    return setSession(res, user, '/console/');
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    who: Caller,
  ): Promise<void> {
    const path = url.pathname;
    if (method === 'GET' && path === '/console/api/approvals') {
      const state = url.searchParams.get('state') ?? 'pending';
      if (state !== 'all' && !ApprovalStateSchema.safeParse(state).success)
        return sendJson(res, 400, {
          error: { code: 'bad_state', message: `state: expected ${ApprovalStateSchema.options.join(', ')} or all` },
        });
      const views = await approvals.list(state === 'all' ? {} : { state: ApprovalStateSchema.parse(state) });
      return sendJson(res, 200, { approvals: await withWaiting(views) });
    }
    if (method === 'GET' && path === '/console/api/me')
      return sendJson(res, 200, { name: who.user.name, user_id: who.user.user_id });
    if (method === 'GET' && path === '/console/api/stream') return stream(req, res);
    const one = /^\/console\/api\/approvals\/([^/]+)$/u.exec(path);
    if (method === 'GET' && one) {
      const view = await approvals.find(decodeURIComponent(one[1]!));
      if (view === undefined)
        return sendJson(res, 404, { error: { code: 'approval_not_found', message: `no approval ${one[1]}` } });
      return sendJson(res, 200, { approval: shown(view) });
    }
    const decision = /^\/console\/api\/approvals\/([^/]+)\/(approve|deny)$/u.exec(path);
    if (method === 'POST' && decision) {
      const body = await jsonBody(req);
      const header = req.headers['x-csrf-token'];
      await checkPost(req, who, typeof header === 'string' ? header : undefined);
      const id = decodeURIComponent(decision[1]!);
      try {
        const result = await decide(
          who,
          id,
          decision[2] as 'approve' | 'deny',
          typeof body.reason === 'string' ? body.reason : '',
        );
        return sendJson(res, 200, {
          result: result.effect,
          approval: shown(result.approval),
          decided_by: who.user.user_id,
        });
      } catch (error) {
        const refusal = refusalOf(error);
        return sendJson(res, refusal.status, { error: { code: refusal.code, message: refusal.message } });
      }
    }
    if (await operator.api(req, res, url, (token) => checkPost(req, who, token))) return;
    return sendJson(res, 404, { error: { code: 'not_found', message: `no API route ${method} ${path}` } });
  }

  /** Server-sent events: one `change` event per approval transition (any process: the engine's pub/sub feed). */
  function stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const onChange = (change: { id: string; version: number; state: string }) =>
      res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
    const onRequested = (view: ApprovalView) => onChange({ id: view.id, version: view.version, state: view.state });
    approvals.events.on('change', onChange);
    approvals.events.on('requested', onRequested);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const stop = () => {
      clearInterval(heartbeat);
      approvals.events.off('change', onChange);
      approvals.events.off('requested', onRequested);
    };
    req.once('close', stop);
    res.once('close', stop);
  }

  const pending = async () => withWaiting(await approvals.list({ state: 'pending' }));
  const history = async () => (await approvals.list()).filter((v) => v.state !== 'pending').map(shown);

  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (error) {
      if (error instanceof HttpRefusal) {
        if (res.headersSent) return void res.end();
        return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
      }
      log.error({ err: describeError(error), path: req.url }, 'console request failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: describeError(error) } });
      else res.end();
    }
  };
}

function refusalOf(error: unknown): { status: number; code: string; message: string } {
  if (isApprovalError(error)) {
    const status =
      error.code === 'not_an_approver' || error.code === 'self_approval_forbidden'
        ? 403
        : error.code === 'approval_not_found'
          ? 404
          : error.code === 'already_decided'
            ? 409
            : error.code === 'approvals_unavailable'
              ? 503
              : 400;
    return { status, code: error.code, message: error.message };
  }
  return { status: 500, code: 'internal', message: describeError(error) };
}
