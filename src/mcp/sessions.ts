import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Server } from '@modelcontextprotocol/server';

export interface AgentSession {
  id: string;
  grantName: string;
  server: Server;
  transport: NodeStreamableHTTPServerTransport;
  lastSeen: number;
  /** HTTP requests still open (a held call, the standalone SSE stream): such a session is not idle. */
  openRequests: number;
}

export interface SessionLimits {
  idleTimeoutMs: number;
  /** All grants together (`sessions.max`). */
  max: number;
  /** One grant (`sessions.max_per_grant`), unless `perGrant` names it (`grants[].max_sessions`). */
  maxPerGrant: number;
  perGrant: ReadonlyMap<string, number>;
}

/** May a grant open one more session? Admitted: a slot is held until `release()` (after the session is added, or the initialize failed). */
export type SessionAdmission =
  | { admitted: true; release: () => void }
  | {
      admitted: false;
      scope: 'grant';
      grant: string;
      cap: number;
      capSetting: string;
      open: number;
      retryAfterMs: number;
    }
  | { admitted: false; scope: 'global'; cap: number; open: number };

/**
 * Live Streamable HTTP sessions. The SDK never expires a session whose client vanished without
 * DELETE, so sessions with no open request and no traffic for the idle timeout are swept here.
 * Two caps: one per grant, so a single agent credential cannot lock the others out, and one for
 * the whole gateway (config load keeps a grant's cap below it). Initializes in flight hold a
 * slot, so concurrent ones cannot overshoot either cap.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, AgentSession>();
  /** Initializes admitted whose session is not added yet, per grant. */
  private readonly reserved = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly onEvict: (session: AgentSession) => void,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, Math.min(60_000, limits.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get maxSessions(): number {
    return this.limits.max;
  }

  capFor(grantName: string): number {
    return this.limits.perGrant.get(grantName) ?? this.limits.maxPerGrant;
  }

  /** Checks both caps for a new session of `grantName`, sweeping idle sessions first when one is reached. */
  admit(grantName: string, now = Date.now()): SessionAdmission {
    const cap = this.capFor(grantName);
    if (this.openFor(grantName) >= cap) this.sweep(now);
    const open = this.openFor(grantName);
    if (open >= cap) {
      const capSetting = this.limits.perGrant.has(grantName) ? 'grants[].max_sessions' : 'sessions.max_per_grant';
      return {
        admitted: false,
        scope: 'grant',
        grant: grantName,
        cap,
        capSetting,
        open,
        retryAfterMs: this.nextFreeSlotMs(grantName, now),
      };
    }
    if (this.totalOpen() >= this.limits.max) this.sweep(now);
    if (this.totalOpen() >= this.limits.max)
      return { admitted: false, scope: 'global', cap: this.limits.max, open: this.totalOpen() };
    this.reserved.set(grantName, (this.reserved.get(grantName) ?? 0) + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.reserved.get(grantName) ?? 1) - 1;
        if (left > 0) this.reserved.set(grantName, left);
        else this.reserved.delete(grantName);
      },
    };
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
      if (session.openRequests === 0 && now - session.lastSeen > this.limits.idleTimeoutMs) {
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

  private openFor(grantName: string): number {
    let open = this.reserved.get(grantName) ?? 0;
    for (const session of this.sessions.values()) if (session.grantName === grantName) open += 1;
    return open;
  }

  private totalOpen(): number {
    let reserved = 0;
    for (const n of this.reserved.values()) reserved += n;
    return this.sessions.size + reserved;
  }

  /** When the grant's first idle session becomes evictable; a full idle timeout when all are busy. */
  private nextFreeSlotMs(grantName: string, now: number): number {
    let soonest = this.limits.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (session.grantName !== grantName || session.openRequests > 0) continue;
      soonest = Math.min(soonest, session.lastSeen + this.limits.idleTimeoutMs - now);
    }
    return Math.max(1_000, soonest);
  }
}
