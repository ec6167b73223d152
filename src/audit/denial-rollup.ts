/**
 * Repeated identical denials cost the trail one event per window instead of a full set each: an
 * agent looping on a denied call (or a hostile one) cannot fill the disk with it. The first denial
 * of a kind is written in full and opens a window; the same denial again within the window is only
 * counted; when the window closes (or at shutdown) one summary says how many there were.
 */

/** What makes two denials "the same". */
export interface DenialKey {
  grant: string;
  server: string;
  tool: string;
  args_sha256: string;
  rule: string;
}

export interface Denial extends DenialKey {
  call_id: string;
  reason?: string | undefined;
}

/** The repeats of one denial within one window (the summary event's content). */
export interface RepeatedDenials extends DenialKey {
  /** The denial written in full that opened the window. */
  first_call_id: string;
  reason?: string | undefined;
  /** Repeats counted (the first denial not included). */
  count: number;
  /** Epoch ms of the first and the last repeat. */
  since: number;
  until: number;
}

export interface DenialRollupOptions {
  windowMs: number;
  /** Called for each window that closes with repeats in it. */
  write: (repeats: RepeatedDenials) => void;
  now?: () => number;
  /** Distinct denials tracked at once; beyond this, new ones are simply written. Default 10 000. */
  maxWindows?: number;
}

interface Window {
  first: Denial;
  start: number;
  count: number;
  since: number;
  until: number;
}

export class DenialRollup {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxWindows: number;

  constructor(private readonly options: DenialRollupOptions) {
    this.now = options.now ?? Date.now;
    this.maxWindows = options.maxWindows ?? 10_000;
  }

  /** Windows open now. */
  get size(): number {
    return this.windows.size;
  }

  /**
   * True when `denial` repeats one written within the window: it is counted and must not be
   * written. False: write it in full (it opens a window of its own).
   */
  add(denial: Denial): boolean {
    const now = this.now();
    const key = keyOf(denial);
    const open = this.windows.get(key);
    if (open !== undefined && now - open.start < this.options.windowMs) {
      if (open.count === 0) open.since = now;
      open.count += 1;
      open.until = now;
      return true;
    }
    // An ended window is summed up before the denial that starts the next one.
    if (open !== undefined) this.close(key, open);
    if (this.windows.size >= this.maxWindows) this.tick(now);
    if (this.windows.size < this.maxWindows)
      this.windows.set(key, { first: denial, start: now, count: 0, since: now, until: now });
    return false;
  }

  /** Sums up the windows that have ended by `now`. */
  tick(now: number = this.now()): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.options.windowMs) this.close(key, window);
    }
  }

  /** Sums up every open window now (shutdown). */
  flush(): void {
    for (const [key, window] of this.windows) this.close(key, window);
  }

  private close(key: string, window: Window): void {
    this.windows.delete(key);
    if (window.count === 0) return;
    const { grant, server, tool, args_sha256, rule, call_id, reason } = window.first;
    this.options.write({
      grant,
      server,
      tool,
      args_sha256,
      rule,
      ...(reason === undefined ? {} : { reason }),
      first_call_id: call_id,
      count: window.count,
      since: window.since,
      until: window.until,
    });
  }
}

function keyOf(denial: DenialKey): string {
  return JSON.stringify([denial.grant, denial.server, denial.tool, denial.args_sha256, denial.rule]);
}
