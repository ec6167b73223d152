import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { AgentChannel, AgentRequestMethod } from './agent-channel.js';

/** Where a held call lives: the round's id and the Airlock process that holds the upstream call. */
export interface HeldRef {
  id: string;
  process: string;
}

/** A 2026-era answer the agent gets instead of a result: what the upstream asked, by key. */
export interface AskedResult {
  resultType: 'input_required';
  inputRequests: Record<string, { method: AgentRequestMethod; params: Record<string, unknown> }>;
}

interface Ask {
  key: string;
  method: AgentRequestMethod;
  params: Record<string, unknown>;
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** How long a held call waits for the agent's next round before it is given up. */
const ROUND_TTL_MS = 3_600_000;

/**
 * One 2026-era agent's call to a 2025-era upstream that asked the agent something mid-call
 * (sampling, elicitation, roots as server-to-client requests). The upstream call stays open here;
 * each ask becomes an `input_required` round for the agent, and its retry's answers resolve them.
 */
class HeldRound {
  readonly id = randomUUID();
  private readonly open: Ask[] = [];
  private outcome: { result: unknown } | { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private asked = 0;
  expiresAt = Date.now() + ROUND_TTL_MS;

  constructor(run: (channel: AgentChannel) => Promise<unknown>, base: AgentChannel) {
    const channel: AgentChannel = {
      ...base,
      request: (method, params) =>
        new Promise((resolve, reject) => {
          this.asked += 1;
          this.open.push({ key: `airlock-ask-${this.asked}`, method, params, resolve, reject });
          this.wake?.();
        }),
      // Log lines and progress of a held call have no open agent request once the first round answered.
      notify: (method, params) => base.notify(method, params).catch(() => {}),
    };
    run(channel).then(
      (result) => this.settle({ result }),
      (error: unknown) => this.settle({ error }),
    );
  }

  private settle(outcome: { result: unknown } | { error: unknown }): void {
    this.outcome = outcome;
    this.wake?.();
  }

  /** Waits until the upstream answered or asked something not yet answered. */
  async next(): Promise<{ done: true; result: unknown } | { done: false; asked: AskedResult }> {
    while (this.outcome === undefined && this.open.length === 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.wake = undefined;
    if (this.outcome !== undefined) {
      if ('error' in this.outcome) throw this.outcome.error;
      return { done: true, result: this.outcome.result };
    }
    const inputRequests = Object.fromEntries(this.open.map((a) => [a.key, { method: a.method, params: a.params }]));
    return { done: false, asked: { resultType: 'input_required', inputRequests } };
  }

  /** The agent's answers resolve the asks they name; the others are asked again next round. */
  answer(responses: Record<string, unknown> | undefined): void {
    this.expiresAt = Date.now() + ROUND_TTL_MS;
    for (const ask of [...this.open]) {
      const response = responses?.[ask.key];
      if (response === undefined || response === null || typeof response !== 'object') continue;
      this.open.splice(this.open.indexOf(ask), 1);
      ask.resolve(response as Record<string, unknown>);
    }
  }

  cancel(reason: string): void {
    for (const ask of this.open.splice(0)) ask.reject(new ProtocolError(ProtocolErrorCode.InternalError, reason));
  }

  get finished(): boolean {
    return this.outcome !== undefined;
  }
}

/**
 * The held calls of this process. `run` starts an upstream call whose asks become rounds;
 * `resume` answers a round (the retry carries the `HeldRef` in Airlock's sealed requestState).
 * A retry that reaches another Airlock process is relayed to this one (round-relay.ts).
 */
export class HeldRounds {
  private readonly held = new Map<string, HeldRound>();
  private readonly refs = new WeakMap<object, HeldRef>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly process: string = randomUUID()) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Starts the upstream call; answers its result, or the first round of what it asked. */
  async run(send: (channel: AgentChannel) => Promise<unknown>, base: AgentChannel): Promise<unknown> {
    const round = new HeldRound(send, base);
    this.held.set(round.id, round);
    return this.step(round);
  }

  /** The ref of an `input_required` result this process produced (for sealing into requestState). */
  refOf(result: unknown): HeldRef | undefined {
    return typeof result === 'object' && result !== null ? this.refs.get(result) : undefined;
  }

  /** Answers a round held here (an error when this process holds no such round). */
  async resume(id: string, responses: Record<string, unknown> | undefined): Promise<unknown> {
    const round = this.held.get(id);
    if (round === undefined) throw roundGone();
    round.answer(responses);
    return this.step(round);
  }

  /** Gives up a held call (its asks answered with an error upstream); no-op when not held here. */
  cancel(id: string, reason: string): void {
    this.held.get(id)?.cancel(reason);
    this.held.delete(id);
  }

  /** Marks an `input_required` result relayed from the process that holds its round. */
  adopt(result: unknown, ref: HeldRef): void {
    if (typeof result === 'object' && result !== null) this.refs.set(result, ref);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const round of this.held.values()) round.cancel('Airlock is shutting down');
    this.held.clear();
  }

  private async step(round: HeldRound): Promise<unknown> {
    try {
      const next = await round.next();
      if (next.done) {
        this.held.delete(round.id);
        return next.result;
      }
      this.refs.set(next.asked, { id: round.id, process: this.process });
      return next.asked;
    } catch (error) {
      this.held.delete(round.id);
      throw error;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, round] of this.held) {
      if (round.expiresAt > now) continue;
      round.cancel('the agent did not answer within an hour');
      if (round.finished) this.held.delete(id);
    }
  }
}

export function roundGone(): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    'Invalid or expired requestState: the call this round belongs to has ended (answered, given up, or its Airlock process restarted); call the tool again',
    { reason: 'invalid_request_state' },
  );
}
