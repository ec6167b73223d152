import { z } from 'zod';
import { taskBindingKey, type RedisClient } from '../redis/index.js';

/**
 * What Redis keeps per task id and grant: an upstream's task (which upstream made it, and for a
 * stdio upstream, in which Airlock process), or one of Airlock's own approval tasks.
 */
const BindingSchema = z.union([
  z.object({ server: z.string(), process: z.string().optional() }),
  z.object({ approval: z.string() }),
]);
export type TaskBinding = z.infer<typeof BindingSchema>;
export type UpstreamBinding = Extract<TaskBinding, { server: string }>;

/** The longest a binding is kept (a task with `ttlMs: null`). */
export const UNLIMITED_TTL_MS = 7 * 24 * 3_600_000;

/**
 * The one task id space of a grant, shared by upstream tasks and approval tasks: an id is claimed
 * once (SET NX), so an upstream's task can never shadow an approval task or another upstream's
 * task, whatever id it picks.
 */
export class TaskBindings {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string | undefined,
  ) {}

  /**
   * Records the task; false when the id is already bound to another task of this grant (the
   * same binding again, as for a re-attached approval, is true). Throws when Redis fails.
   */
  async claim(grant: string, taskId: string, binding: TaskBinding, ttlMs: number): Promise<boolean> {
    const key = taskBindingKey(grant, taskId, this.prefix);
    const text = JSON.stringify(binding);
    const px = Math.max(1, Math.min(Math.ceil(ttlMs), 30 * UNLIMITED_TTL_MS));
    if ((await this.redis.set(key, text, 'PX', px, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === text;
  }

  /** The grant's task of this id; undefined for an unknown id or another grant's task. */
  async lookup(grant: string, taskId: string): Promise<TaskBinding | undefined> {
    const text = await this.redis.get(taskBindingKey(grant, taskId, this.prefix));
    if (text === null) return undefined;
    const parsed = BindingSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }
}
