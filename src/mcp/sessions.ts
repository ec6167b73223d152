import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface AgentSession {
  id: string;
  grantName: string;
  server: Server;
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  /** HTTP requests still open (a held call, the standalone SSE stream): such a session is not idle. */
  openRequests: number;
}

/**
 * Live Streamable HTTP sessions. The SDK never expires a session whose client vanished without
 * DELETE, so sessions with no open request and no traffic for the idle timeout are swept here,
 * and the count is capped.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleTimeoutMs: number,
    readonly maxSessions: number,
    private readonly onEvict: (session: AgentSession) => void,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, Math.min(60_000, idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  add(session: AgentSession): void {
    this.sessions.set(session.id, session);
  }

  get(id: string): AgentSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }

  all(): AgentSession[] {
    return [...this.sessions.values()];
  }

  /** Evicts sessions idle for longer than the timeout; returns how many went. */
  sweep(now = Date.now()): number {
    let evicted = 0;
    for (const session of this.sessions.values()) {
      if (session.openRequests === 0 && now - session.lastSeen > this.idleTimeoutMs) {
        this.sessions.delete(session.id);
        this.onEvict(session);
        evicted += 1;
      }
    }
    return evicted;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) this.onEvict(session);
    this.sessions.clear();
  }
}
