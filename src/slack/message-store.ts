import { randomBytes } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { releaseLock, runScript, type SlackKeys, type RedisClient } from '../redis/index.js';

/**
 * Where each approval's Slack message lives, in Redis so that every Airlock process can update
 * it (engine events fire only in the process that made the transition; the outbox job that
 * follows may run in any process): `SlackKeys.message(id)`, a hash of channel, ts, version (the
 * approval version the message shows), threaded, error, errorKind, errorAt; and
 * `SlackKeys.lock(id)`, one sender at a time per message.
 */
export interface MessageRecord {
  channel?: string;
  ts?: string;
  /** The approval version the message shows; 0 before it is posted. */
  version: number;
  threaded: boolean;
  error?: { kind: DeliveryErrorKind; message: string; at: number };
}

/** unreachable: network or 5xx; rate_limited: 429; rejected: Slack refused it for good (channel_not_found, …). */
export type DeliveryErrorKind = 'unreachable' | 'rate_limited' | 'rejected';

export class MessageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: SlackKeys,
    /** How long a record outlives its approval's expiry (the approvals retention). */
    private readonly retentionMs: number,
  ) {}

  async get(id: string): Promise<MessageRecord> {
    const h = await this.redis.hgetall(this.keys.message(id));
    const record: MessageRecord = { version: Number(h.version ?? 0), threaded: h.threaded === '1' };
    if (h.channel !== undefined) record.channel = h.channel;
    if (h.ts !== undefined) record.ts = h.ts;
    if (h.errorKind !== undefined)
      record.error = { kind: h.errorKind as DeliveryErrorKind, message: h.error ?? '', at: Number(h.errorAt ?? 0) };
    return record;
  }

  async posted(id: string, channel: string, ts: string, version: number, expiresAt: number): Promise<void> {
    await this.write(id, expiresAt, (m) =>
      m
        .hset(this.keys.message(id), 'channel', channel, 'ts', ts, 'version', version)
        .hdel(this.keys.message(id), 'error', 'errorKind', 'errorAt'),
    );
  }

  async rendered(id: string, version: number, expiresAt: number): Promise<void> {
    await this.write(id, expiresAt, (m) =>
      m.hset(this.keys.message(id), 'version', version).hdel(this.keys.message(id), 'error', 'errorKind', 'errorAt'),
    );
  }

  async threaded(id: string, expiresAt: number): Promise<void> {
    await this.write(id, expiresAt, (m) => m.hset(this.keys.message(id), 'threaded', '1'));
  }

  async failed(id: string, kind: DeliveryErrorKind, message: string, expiresAt: number): Promise<void> {
    await this.write(id, expiresAt, (m) =>
      m.hset(this.keys.message(id), 'errorKind', kind, 'error', message.slice(0, 500), 'errorAt', Date.now()),
    );
  }

  /** A token when this caller may send for the approval now; undefined while another sender holds it. */
  async lock(id: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(8).toString('hex');
    const ok = await this.redis.set(this.keys.lock(id), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async unlock(id: string, token: string): Promise<void> {
    await runScript(this.redis, releaseLock, [this.keys.lock(id)], [token]);
  }

  private async write(id: string, expiresAt: number, body: (m: ChainableCommander) => unknown): Promise<void> {
    const multi = this.redis.multi();
    body(multi);
    multi.pexpire(this.keys.message(id), Math.max(60_000, expiresAt - Date.now() + this.retentionMs));
    await multi.exec();
  }
}
