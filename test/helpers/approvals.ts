import { randomBytes } from 'node:crypto';
import type { ApprovalEngineOptions, ApprovalRequestInput } from '../../src/approvals/index.js';
import { ApprovalEngine } from '../../src/approvals/index.js';
import type { NormalizedApproval } from '../../src/policy/index.js';
import { RedisConnections, type RedisTarget } from '../../src/redis/index.js';
import { silentLogger } from '../../src/shared/logger.js';

/** A fresh key prefix (with its hash tag) per test file, so files sharing the test Redis never meet. */
export function randomPrefix(): string {
  return `{t${randomBytes(5).toString('hex')}}`;
}

export function approvalRule(overrides: Partial<NormalizedApproval> = {}): NormalizedApproval {
  return {
    approvers: ['U0APPROVER', 'U0OTHER'],
    timeout: '15m',
    timeoutMs: 15 * 60_000,
    minApprovals: 1,
    allowSelfApproval: false,
    rule: '/tools/copy_model_version/approval',
    ...overrides,
  };
}

let counter = 0;

/** A held-call request; each call gets distinct arguments unless `args` is given. */
export function approvalInput(overrides: Partial<ApprovalRequestInput> = {}): ApprovalRequestInput {
  counter += 1;
  return {
    grant: 'ci-agent',
    owner: 'U0OWNER',
    maxPending: 10,
    server: 'mlflow',
    tool: 'copy_model_version',
    args: {
      src_model_name: 'm',
      version: String(counter),
      dst_model_name: 'prod-m',
      nonce: randomBytes(4).toString('hex'),
    },
    rule: '/tools/copy_model_version',
    reason: 'Promotes a model version into another registered model',
    approval: approvalRule(),
    ...overrides,
  };
}

/** Records every released reservation, as the rate limiter's release would. */
export function releaseRecorder(): { released: unknown[]; releaseReservation: (r: unknown) => Promise<void> } {
  const released: unknown[] = [];
  return { released, releaseReservation: async (r) => void released.push(r) };
}

/**
 * An engine on connections of its own, as one Airlock process has: `close()` closes the engine,
 * then its connections (what the gateway does in that order). `redisUrl`: a URL, or a cluster
 * (test-redis.ts `testRedis()`).
 */
export async function startEngine(
  options: Partial<Omit<ApprovalEngineOptions, 'redis'>> & { redisUrl: RedisTarget; prefix: string },
): Promise<ApprovalEngine> {
  const { redisUrl, ...rest } = options;
  const redis = new RedisConnections(redisUrl);
  let engine: ApprovalEngine;
  try {
    engine = await ApprovalEngine.start({ log: silentLogger(), ...rest, redis });
  } catch (error) {
    await redis.close();
    throw error;
  }
  const close = engine.close.bind(engine);
  engine.close = async () => {
    await close();
    await redis.close();
  };
  return engine;
}

/** Resolves with the first event of `name` (no fixed sleeps in tests). */
export function nextEvent<T>(
  emitter: { once(name: string, listener: (value: T) => void): unknown },
  name: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(name, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
