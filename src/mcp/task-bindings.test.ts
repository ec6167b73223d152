import { afterAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomPrefix } from '../../test/helpers/approvals.js';
import { TaskBindings } from './task-bindings.js';

// Real Redis (the suite's redis-server): one task id space per grant, each id claimed once.
const redis = new Redis({ path: inject('redisPath') });
afterAll(() => redis.quit());

describe('TaskBindings', () => {
  it('lets an id be claimed once per grant, by an approval task or an upstream task, never both', async () => {
    const bindings = new TaskBindings(redis, randomPrefix());
    expect(await bindings.claim('agent', 'apr_x', { approval: 'apr_x' }, 60_000)).toBe(true);
    // The same binding again (a re-attached approval) is fine; an upstream task with that id is not.
    expect(await bindings.claim('agent', 'apr_x', { approval: 'apr_x' }, 60_000)).toBe(true);
    expect(await bindings.claim('agent', 'apr_x', { server: 'mlflow' }, 60_000)).toBe(false);
    expect(await bindings.lookup('agent', 'apr_x')).toEqual({ approval: 'apr_x' });
    // Another grant's id space is its own: the same id is free there, and this one unknown.
    expect(await bindings.lookup('other', 'apr_x')).toBeUndefined();
    expect(await bindings.claim('other', 'apr_x', { server: 'mlflow', process: 'p1' }, 60_000)).toBe(true);
    expect(await bindings.lookup('other', 'apr_x')).toEqual({ server: 'mlflow', process: 'p1' });
  });
});
