import { createHash } from 'node:crypto';
import {
  createRequestStateCodec,
  isInputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { canonicalJson, describeError } from '../shared/index.js';
import type { HeldRef } from './held-rounds.js';

/**
 * What Airlock seals into the `requestState` it hands an agent with an `input_required` result
 * (protocol revision 2026-07-28): the upstream's own state, restored byte-exact on the retry,
 * and what the round belongs to. The agent can read it (signed, not encrypted) but not change it.
 */
export interface RoundPayload {
  /** The upstream's requestState, when it sent one. */
  s?: string;
  /** The request the round continues: "tools/call <agent-facing name>", "prompts/get <name>", "resources/read <uri>". */
  t: string;
  /** tools/call: the first call's audit id, the SHA-256 of its arguments, and how it was admitted. */
  c?: string;
  h?: string;
  a?: 'allowed' | 'approved';
  /** A 2025-era upstream's call held open for this round (held-rounds.ts), and its process. */
  r?: HeldRef;
}

/** How long an agent has to answer a round (a person may be filling in a form). */
const ROUND_TTL_SECONDS = 3_600;

/** The argument hash a continuation must match: the retry is the same call, with answers. */
export function argumentsHash(args: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(args ?? {}))
    .digest('hex');
}

/**
 * Seals and opens Airlock's requestState. Every Airlock process uses one secret from Redis, so a
 * retry may reach any of them; each grant has its own binding, so one agent's state is refused
 * when another grant's token echoes it.
 *
 * Why seal at all rather than pass the upstream's state through: a retry of a tools/call is a
 * new request, and Airlock must know it continues a call it already admitted (limits counted,
 * approval given) without letting an agent claim that for a call it never made.
 */
export class InputRounds {
  private secret: Promise<string> | undefined;
  private readonly codecs = new Map<string, Promise<RequestStateCodec<RoundPayload>>>();

  constructor(private readonly loadSecret: () => Promise<string>) {}

  /** For `ServerOptions.requestState.verify` of one grant's agent server. */
  verifier(grant: string): (state: string, ctx: ServerContext) => Promise<RoundPayload> {
    return async (state, ctx) => (await this.codec(grant)).verify(state, ctx);
  }

  /**
   * When `result` is an `input_required` result, the same result with its requestState replaced
   * by Airlock's sealed one; any other result unchanged.
   */
  async seal<T>(grant: string, result: T, round: Omit<RoundPayload, 's'>, ctx: ServerContext): Promise<T> {
    if (!isInputRequiredResult(result)) return result;
    const upstreamState = typeof result.requestState === 'string' ? result.requestState : undefined;
    const payload: RoundPayload = { ...round, ...(upstreamState === undefined ? {} : { s: upstreamState }) };
    let requestState: string;
    try {
      requestState = await (await this.codec(grant)).mint(payload, ctx);
    } catch (error) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `The upstream asked for input, but Airlock cannot seal the round's requestState (${describeError(error)}); it needs Redis for that. Try again shortly.`,
      );
    }
    return { ...result, requestState };
  }

  private codec(grant: string): Promise<RequestStateCodec<RoundPayload>> {
    let codec = this.codecs.get(grant);
    if (codec === undefined) {
      codec = this.key().then((key) =>
        createRequestStateCodec<RoundPayload>({
          key,
          ttlSeconds: ROUND_TTL_SECONDS,
          bind: (ctx) => `${grant}\u0000${ctx.mcpReq.method}`,
        }),
      );
      codec.catch(() => this.codecs.delete(grant));
      this.codecs.set(grant, codec);
    }
    return codec;
  }

  private key(): Promise<string> {
    if (this.secret === undefined) {
      this.secret = this.loadSecret();
      // Redis may be back next time: do not cache a failure.
      this.secret.catch(() => (this.secret = undefined));
    }
    return this.secret;
  }
}

/** The round an agent's retry answers: its verified payload and its answers (none on a first request). */
export interface AgentRound {
  payload: RoundPayload | undefined;
  inputResponses: Record<string, unknown> | undefined;
}

export function roundOf(ctx: ServerContext): AgentRound {
  // The SDK has verified the state (ServerOptions.requestState.verify) before the handler runs.
  const payload = ctx.mcpReq.requestState<RoundPayload>();
  return {
    payload: typeof payload === 'object' && payload !== null ? payload : undefined,
    inputResponses: ctx.mcpReq.inputResponses,
  };
}

/** Refuses a round whose sealed state was issued for another request than this one. */
export function checkRoundTarget(round: AgentRound, target: string): void {
  if (round.payload !== undefined && round.payload.t !== target) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `requestState was issued for ${round.payload.t}, not ${target}: retry the request it came with`,
      { reason: 'invalid_request_state' },
    );
  }
}

/**
 * The params to send upstream for a retry: the agent's params with Airlock's requestState swapped
 * for the upstream's own (byte-exact) and the agent's answers as they came.
 */
export function upstreamRoundParams<P extends object>(params: P, round: AgentRound): P {
  const {
    inputResponses: _answers,
    requestState: _state,
    ...rest
  } = params as P & {
    inputResponses?: unknown;
    requestState?: unknown;
  };
  return {
    ...rest,
    ...(round.inputResponses === undefined ? {} : { inputResponses: round.inputResponses }),
    ...(round.payload?.s === undefined ? {} : { requestState: round.payload.s }),
  } as P;
}
