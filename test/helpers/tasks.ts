import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Client } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, type RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { stopProcess, waitFor } from './gateway.js';
import { CLI, ROOT, tempDir } from './paths.js';

/** Raw 2026-07-28 requests and the official tasks requester, for tests of MCP tasks through Airlock. */
export const TASKS = 'io.modelcontextprotocol/tasks';

export type Json = Record<string, unknown>;
export type Answer = { result?: Json; error?: { code: number; message: string; data?: unknown } };

let nextId = 1;

/** The 2026-07-28 per-request envelope of a raw agent (declaring the tasks extension unless told not to). */
function envelope(tasks: boolean, name = 'raw-agent') {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name, version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': tasks ? { extensions: { [TASKS]: {} } } : {},
  };
}

/** One JSON-RPC request in the 2026-07-28 wire, over plain HTTP, with the standard headers. */
export async function post(mcpUrl: string, token: string, method: string, params: Json, tasks = true): Promise<Answer> {
  const meta = envelope(tasks);
  return send(mcpUrl, token, { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: meta } });
}

export async function send(mcpUrl: string, token: string, message: Json): Promise<Answer> {
  const params = (message['params'] ?? {}) as Json;
  const name = params['taskId'] ?? params['name'];
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': String(message['method']),
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify(message),
  });
  const text = await response.text();
  // A streamed answer: its last data line is the response.
  const json = response.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5))
        .at(-1)!
    : text;
  return JSON.parse(json) as Answer;
}

export const terminal = (task: Json) => ['completed', 'failed', 'cancelled'].includes(String(task['status']));

/** tasks/get until `done` says so (default: a terminal status). */
export async function pollUntil(
  mcpUrl: string,
  token: string,
  taskId: string,
  done: (task: Json) => boolean = terminal,
  timeoutMs = 15_000,
): Promise<Json> {
  let task: Json = {};
  await waitFor(
    async () => {
      const answer = await post(mcpUrl, token, 'tasks/get', { taskId });
      if (answer.error) throw new Error(`tasks/get ${taskId}: ${answer.error.message}`);
      task = answer.result!;
      return done(task);
    },
    timeoutMs,
    `task ${taskId} to reach the awaited status`,
  );
  return task;
}

/** The official tasks requester (@modelcontextprotocol/ext-tasks) over an SDK v2 client of ours. */
export function taskSession(client: Client, mcpUrl: string, token: string) {
  const rawDispatch: RawClientDispatch = async (request) => {
    const answer = await send(mcpUrl, token, { jsonrpc: '2.0', id: nextId++, ...(request as Json) });
    return answer.error
      ? { kind: 'error', error: answer.error as never }
      : { kind: 'result', result: answer.result as never };
  };
  return createTaskSessionFromClient(client, {
    endpointId: `airlock-test-${mcpUrl}`,
    rawDispatch,
    v2RequestFraming: {
      protocolVersion: '2026-07-28',
      clientInfo: { name: 'tasks-requester', version: '1.0.0' },
      clientCapabilities: { extensions: { [TASKS]: {} } },
    },
  });
}

/** A 2026-era `subscriptions/listen` stream: its messages as they arrive, until closed. */
export async function listen(
  mcpUrl: string,
  token: string,
  notifications: Json,
  tasks = true,
): Promise<{
  status: number;
  next: (match: (m: Json) => boolean, timeoutMs?: number) => Promise<Json>;
  close: () => void;
}> {
  const controller = new AbortController();
  const meta = envelope(tasks, 'raw-listener');
  const response = await fetch(mcpUrl, {
    method: 'POST',
    signal: controller.signal,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'subscriptions/listen',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'subscriptions/listen',
      params: { notifications, _meta: meta },
    }),
  });
  const { push, next } = inbox('listen stream');
  let buffer = '';
  const plain = response.headers.get('content-type')?.includes('application/json') === true;
  // A refusal is one JSON answer, not a stream.
  if (plain) push(JSON.parse(await response.text()) as Json);
  const reader = plain ? undefined : response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    if (reader === undefined) return;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5))
            .join('');
          if (data) push(JSON.parse(data) as Json);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { status: response.status, next, close: () => controller.abort() };
}

/** Messages as they arrive, and a wait for the first one that matches (with a deadline). */
function inbox(what: string) {
  const messages: Json[] = [];
  const waiters = new Set<() => void>();
  const push = (message: Json) => {
    messages.push(message);
    for (const wake of waiters) wake();
  };
  const next = async (match: (m: Json) => boolean, timeoutMs = 15_000): Promise<Json> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message on the ${what}: ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        const wake = () => (waiters.delete(wake), resolve());
        waiters.add(wake);
        setTimeout(wake, Math.max(1, deadline - Date.now()));
      });
    }
  };
  return { push, next };
}

/**
 * `airlock serve --stdio` as the child of a raw 2026-07-28 agent (JSON lines): its requests, the
 * answers and notifications it is sent, for what the SDK client does not expose (listen filters).
 */
export function stdioAgent(configFile: string, grant: string) {
  const child = spawn(process.execPath, [CLI, 'serve', '--stdio', '--config', configFile, '--grant', grant], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AIRLOCK_HOME: process.env.AIRLOCK_HOME ?? tempDir('airlock-data-'),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const { push, next } = inbox('stdio connection');
  createInterface({ input: child.stdout }).on('line', (line) => line.trim() && push(JSON.parse(line) as Json));
  const write = (message: Json) => child.stdin.write(`${JSON.stringify(message)}\n`);
  return {
    next,
    /** Sends a request with the envelope; resolves with its answer. */
    async request(method: string, params: Json, tasks = true): Promise<Json & Answer> {
      const id = nextId++;
      write({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope(tasks) } });
      return (await next((m) => m['id'] === id && !('method' in m), 30_000)) as Json & Answer;
    },
    /** Sends a request and returns its id at once (a listen, answered only when it ends). */
    start(method: string, params: Json, tasks = true): number {
      const id = nextId++;
      write({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope(tasks) } });
      return id;
    },
    notify: (method: string, params: Json) => write({ jsonrpc: '2.0', method, params }),
    close: () => stopProcess(child),
  };
}
