import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdForDecision, type ApprovalEngine } from '../../src/approvals/index.js';
import { approvalInput, randomPrefix, releaseRecorder, startEngine } from '../helpers/approvals.js';
import { waitFor } from '../helpers/gateway.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';

// Its own redis-server with the append-only file on, so the test can stop and restart it on the same data.
const PERSISTENT = ['--appendonly', 'yes', '--appendfsync', 'always'];
const prefix = randomPrefix();
let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis(PERSISTENT);
});

afterAll(async () => {
  await redis?.stop();
  if (redis) removeDir(redis.dir);
});

describe('durability', () => {
  it('keeps a pending approval across an Airlock restart and a Redis restart; a holder is woken after both', async () => {
    const recorder = releaseRecorder();
    const first: ApprovalEngine = await startEngine({
      redisUrl: redis.url,
      prefix,
      releaseReservation: recorder.releaseReservation,
    });
    const input = approvalInput();
    const { approval } = await first.request(input);
    await first.close(); // "Airlock restart": a new engine, new connections, same Redis

    await redis.stop();
    redis = await startTestRedis(PERSISTENT, redis.dir);

    const second = await startEngine({ redisUrl: redis.url, prefix, releaseReservation: recorder.releaseReservation });
    const decider = await startEngine({ redisUrl: redis.url, prefix, processJobs: false });
    try {
      expect(await second.get(approval.id)).toMatchObject({ state: 'pending', args: input.args });
      expect((await second.jobState(approval.id))?.state).toBe('delayed');
      expect((await second.request(input)).kind).toBe('attached');

      // A holder waiting while Redis restarts again: it reconnects, re-subscribes and still wakes.
      let executed = 0;
      let attached = false;
      const hold = holdForDecision({
        engine: second,
        input,
        holdMs: 20_000,
        onRequest: () => (attached = true),
        execute: async () => (executed++, { result: { content: [] }, isError: false }),
      });
      await waitFor(() => attached, 5_000, 'the holder to attach');
      await redis.stop();
      redis = await startTestRedis(PERSISTENT, redis.dir);
      await waitFor(
        async () => {
          try {
            return (await decider.get(approval.id)).state === 'pending';
          } catch {
            return false;
          }
        },
        10_000,
        'Redis back with the approval',
      );
      await waitFor(
        async () => {
          try {
            await decider.decide(approval.id, 'approve', 'U0APPROVER');
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        'the decision to go through',
      );
      expect(await hold).toMatchObject({ kind: 'executed', ranNow: true });
      expect(executed).toBe(1);
    } finally {
      await second.close();
      await decider.close();
    }
  });
});
