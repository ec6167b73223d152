import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stopProcess, waitFor } from './gateway.js';
import { tempDir } from './paths.js';

/**
 * A real HAProxy (Debian's package; `sh scripts/ensure-test-tools.sh` installs it) in front of N
 * Airlock processes, as README "Behind a load balancer" deploys it: round robin, and 2025-era
 * sessions stuck to the process that answered their `initialize` (learned from the response's
 * `Mcp-Session-Id`, matched on every later request's). `sticky: false` leaves the stickiness out,
 * to show what it is for.
 */
export interface LoadBalancer {
  /** The MCP URL agents use: `http://127.0.0.1:<port>/mcp`. */
  mcpUrl: string;
  /** The haproxy.cfg it runs. */
  config: string;
  /** Per backend server (`airlock1`, …): its state and how many requests HAProxy sent it (stats socket). */
  servers: () => Promise<Record<string, { status: string; requests: number }>>;
  /** What HAProxy printed (stdout and stderr), for failures. */
  output: () => string;
  stop: () => Promise<void>;
}

export interface HaproxyConfigOptions {
  port: number;
  /** The processes' base URLs (`http://127.0.0.1:8787`). */
  backends: string[];
  sticky: boolean;
  statsSocket: string;
}

/** The haproxy.cfg of README "Behind a load balancer", with this test's addresses. */
export function haproxyConfig(options: HaproxyConfigOptions): string {
  const servers = options.backends.map((url, i) => {
    const { hostname, port } = new URL(url);
    // `inter 500ms`: the test waits for both to be UP; the README's deployment keeps the default 2 s.
    return `    server airlock${i + 1} ${hostname}:${port} check inter 500ms`;
  });
  return [
    'global',
    `    stats socket ${options.statsSocket} mode 600 level admin`,
    '',
    'defaults',
    '    mode http',
    '    option forwardfor',
    '    timeout connect 5s',
    '    timeout http-request 10s',
    // Inactivity limits: long enough for held calls (hold 50 s) and SSE streams that sit idle.
    '    timeout client 1h',
    '    timeout server 1h',
    '',
    'frontend mcp',
    `    bind 127.0.0.1:${options.port}`,
    '    default_backend airlock',
    '',
    'backend airlock',
    '    balance roundrobin',
    ...(options.sticky
      ? [
          // A 2025-era session lives in the process that answered its initialize: learn the pair from
          // the response header, route every later request carrying that header to the same server.
          // 2026-era requests carry no session id, so they match nothing and are balanced.
          '    stick-table type string len 128 size 100k expire 1h',
          '    stick store-response res.hdr(mcp-session-id)',
          '    stick match req.hdr(mcp-session-id)',
        ]
      : []),
    '    option httpchk',
    // Airlock answers only Host names it serves (loopback names here; listen.allowed_hosts otherwise).
    '    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost',
    ...servers,
    '',
  ].join('\n');
}

/** The haproxy binary (Debian installs it in /usr/sbin, which a non-root PATH may lack), or undefined. */
export function haproxyBinary(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  return ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((path) => existsSync(path));
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One command on HAProxy's stats socket; its whole answer. */
function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const connection = createConnection(socket, () => connection.end(`${command}\n`));
    connection.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    connection.on('end', () => resolve(answer));
    connection.on('error', reject);
  });
}

async function serverStats(socket: string): Promise<Record<string, { status: string; requests: number }>> {
  const [header, ...rows] = (await statsCommand(socket, 'show stat')).trim().split('\n');
  const columns = header!.replace(/^# /u, '').split(',');
  const at = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
  const servers: Record<string, { status: string; requests: number }> = {};
  for (const row of rows.map((line) => line.split(','))) {
    const name = at(row, 'svname');
    if (at(row, 'pxname') !== 'airlock' || name === 'BACKEND') continue;
    // stot: requests (HTTP mode) the server was given, health checks not counted.
    servers[name] = { status: at(row, 'status'), requests: Number(at(row, 'stot')) };
  }
  return servers;
}

/** Starts HAProxy in the foreground on a free loopback port; resolves once every backend is UP. */
export async function startLoadBalancer(backends: string[], options: { sticky?: boolean } = {}): Promise<LoadBalancer> {
  const binary = haproxyBinary();
  if (binary === undefined) throw new Error('haproxy is not installed: run `sh scripts/ensure-test-tools.sh`');
  const dir = tempDir('airlock-haproxy-');
  const statsSocket = join(dir, 'admin.sock');
  // A port found free may be taken before HAProxy binds it: then HAProxy exits at once, try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const config = haproxyConfig({ port, backends, sticky: options.sticky ?? true, statsSocket });
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const child = spawn(binary, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntilUp(child, statsSocket, backends.length, () => output);
    } catch (error) {
      await stopProcess(child);
      if (attempt < 3 && /cannot bind socket/u.test(output)) continue;
      throw error;
    }
    return {
      mcpUrl: `http://127.0.0.1:${port}/mcp`,
      config,
      servers: () => serverStats(statsSocket),
      output: () => output,
      stop: () => stopProcess(child),
    };
  }
}

async function waitUntilUp(child: ChildProcess, statsSocket: string, count: number, output: () => string) {
  let last = '';
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited with code ${child.exitCode}`);
        const servers = await serverStats(statsSocket).catch(() => ({}));
        last = JSON.stringify(servers);
        const states = Object.values(servers).map((s) => s.status);
        return states.length === count && states.every((status) => status === 'UP');
      },
      15_000,
      `haproxy and its ${count} backends to be UP`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last stats: ${last})\n${output()}`, { cause: error });
  }
}
