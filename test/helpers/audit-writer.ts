import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from './paths.js';

const FIXTURE = 'test/fixtures/audit-writer.ts';

/** One test/fixtures/audit-writer.ts process: send it commands, get its JSON answers. */
export interface AuditWriter {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once the process has loaded and waits for commands. */
  ready: Promise<void>;
  /** Sends one command ("open", "write 5", "close") and resolves with its answer. */
  send<T = Record<string, unknown>>(command: string): Promise<T>;
  /** Writes the command without waiting (to start several writers at the same instant). */
  post(command: string): void;
  /** The next answer (after `post`). */
  answer<T = Record<string, unknown>>(): Promise<T>;
  exited: Promise<number | null>;
  stderr: () => string;
}

export interface WriterEnv {
  /** The audit directory (slot mode), or FILE for one fixed file. */
  DIR?: string;
  FILE?: string;
  NAME?: string;
  /** The shared stream's Redis (test-redis.ts `testRedisEnv()`). */
  REDIS_TARGET?: string;
  PREFIX?: string;
}

export function spawnAuditWriter(env: WriterEnv): AuditWriter {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      waiting.push(resolve);
      void exited.then((code) =>
        reject(new Error(`audit writer exited (${code}) before answering; stderr:\n${stderr}`)),
      );
    });
  const answer = async <T>() => JSON.parse(await nextLine()) as T;
  const post = (command: string) => child.stdin.write(`${command}\n`);
  return {
    child,
    ready: nextLine().then((line) => {
      if (line !== 'ready') throw new Error(`audit writer said ${JSON.stringify(line)} instead of ready`);
    }),
    send: <T>(command: string) => {
      post(command);
      return answer<T>();
    },
    post,
    answer,
    exited,
    stderr: () => stderr,
  };
}

/** Asks the writer to exit and waits for it (exit code 0 expected). */
export async function stopAuditWriter(writer: AuditWriter): Promise<number | null> {
  if (writer.child.exitCode === null) writer.child.stdin.write('exit\n');
  return writer.exited;
}
