/** `--state` persistence across restarts and between stand-ins sharing it, `--seed` validation, and process lifecycle. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import seed from '../src/seed.json' with { type: 'json' };
import {
  STANDIN_CLI,
  REPO_ROOT,
  callTool,
  dictOf,
  listOf,
  startStdioStandin,
  waitForExit,
  type StdioStandin,
} from './helpers.js';

/** Run the CLI to completion (stdin closed at once) and collect its exit code and stderr. */
async function runCli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [STANDIN_CLI, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stdin.end();
  const code = await waitForExit(child);
  return { code, stderr, stdout };
}

/** The pid of a process that has exited, as a crashed stand-in's lock would hold. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await waitForExit(child);
  if (child.pid === undefined) throw new Error('could not spawn node');
  return child.pid;
}

interface StateFileJson {
  revision?: number;
  experiments: { experiment_id: string }[];
  registered_models: {
    name: string;
    tags: Record<string, string>;
    versions: { version: string; tags: Record<string, string> }[];
  }[];
}

const readState = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as StateFileJson;
const LOGGED_MODEL_URI = 'models:/m-f4abfb7ffb0d841e572eb32ace1f56d0';
const SEED_MODEL_NAMES = ['churn-classifier', 'fraud-detector-dev', 'fraud-detector-prod', 'legacy-scorer'];

async function registeredModels(standin: StdioStandin): Promise<{ name: string; tags: Record<string, string> }[]> {
  return listOf(await callTool(standin.client, 'get_registered_models')) as {
    name: string;
    tags: Record<string, string>;
  }[];
}

async function versionsOf(
  standin: StdioStandin,
  model: string,
): Promise<{ version: string; tags: Record<string, string> }[]> {
  return listOf(await callTool(standin.client, 'get_model_versions', { model_name: model })) as {
    version: string;
    tags: Record<string, string>;
  }[];
}

describe('mlflow-standin --state and --seed', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-standin-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--state survives a hard kill and a restart', async () => {
    const statePath = join(dir, 'state.json');
    const first = await startStdioStandin(['--state', statePath]);
    dictOf(
      await callTool(first.client, 'register_model', {
        model_name: 'survivor',
        model_uri: 'models:/m-f4abfb7ffb0d841e572eb32ace1f56d0',
      }),
    );
    dictOf(
      await callTool(first.client, 'set_model_alias', { name: 'fraud-detector-dev', alias: 'fallback', version: '2' }),
    );
    dictOf(await callTool(first.client, 'delete_run', { run_id: '1f32c67417521274adcdd67899f54a0f' }));

    // No clean shutdown: every change must already be on disk.
    const closed = new Promise<void>((resolve) => (first.client.onclose = () => resolve()));
    process.kill(first.transport.pid ?? -1, 'SIGKILL');
    await closed;
    expect(JSON.parse(readFileSync(statePath, 'utf8')).format).toBe('airlock-mlflow-standin/1');

    const second = await startStdioStandin(['--state', statePath]);
    try {
      const versions = listOf(await callTool(second.client, 'get_model_versions', { model_name: 'survivor' })) as {
        version: string;
      }[];
      expect(versions.map((v) => v.version)).toEqual(['1']);
      expect(
        dictOf(
          await callTool(second.client, 'get_model_version_by_alias', {
            name: 'fraud-detector-dev',
            alias: 'fallback',
          }),
        )['version'],
      ).toBe('2');
      const runIds = (
        listOf(await callTool(second.client, 'get_runs', { experiment_id: '1', limit: 10 })) as { run_id: string }[]
      ).map((r) => r.run_id);
      expect(runIds).not.toContain('1f32c67417521274adcdd67899f54a0f');
      // Numbering continues from the saved state.
      expect(
        dictOf(
          await callTool(second.client, 'register_model', {
            model_name: 'survivor',
            model_uri: 'models:/m-f4abfb7ffb0d841e572eb32ace1f56d0',
          }),
        )['version'],
      ).toBe('2');
    } finally {
      await second.close();
    }
  });

  describe('two stand-ins on one --state file', () => {
    let n = 0;
    const freshStatePath = () => join(dir, `shared-${++n}.json`);
    const started: StdioStandin[] = [];
    const start = async (statePath: string) => {
      const standin = await startStdioStandin(['--state', statePath]);
      started.push(standin);
      return standin;
    };
    afterAll(async () => {
      await Promise.all(started.map((s) => s.close()));
    });

    it('lose none of 80 concurrent writes, and both then read all of them', async () => {
      const statePath = freshStatePath();
      const [a, b] = await Promise.all([start(statePath), start(statePath)]);
      // Each process: 20 versions of one shared model (numbering must not collide) and 20 tags on one model.
      const writes = (standin: StdioStandin, who: string) =>
        Array.from({ length: 20 }, async (_, i) => {
          const version = dictOf(
            await callTool(standin.client, 'register_model', {
              model_name: 'contended',
              model_uri: LOGGED_MODEL_URI,
              tags: { writer: `${who}-${i}` },
            }),
          );
          dictOf(
            await callTool(standin.client, 'set_registered_model_tag', {
              name: 'fraud-detector-dev',
              key: `${who}-${i}`,
              value: String(i),
            }),
          );
          return version['version'] as string;
        });
      const versions = await Promise.all([...writes(a, 'a'), ...writes(b, 'b')]);

      const allVersions = Array.from({ length: 40 }, (_, i) => String(i + 1));
      const allWriters = ['a', 'b'].flatMap((who) => Array.from({ length: 20 }, (_, i) => `${who}-${i}`)).sort();
      expect([...versions].sort((x, y) => Number(x) - Number(y))).toEqual(allVersions);

      const file = readState(statePath);
      const contended = file.registered_models.find((m) => m.name === 'contended');
      expect(contended?.versions.map((v) => v.version)).toEqual(allVersions);
      expect(contended?.versions.map((v) => v.tags['writer']).sort()).toEqual(allWriters);
      const tagged = file.registered_models.find((m) => m.name === 'fraud-detector-dev')?.tags ?? {};
      expect(
        Object.keys(tagged)
          .filter((k) => /^[ab]-/.test(k))
          .sort(),
      ).toEqual(allWriters);
      expect(file.revision).toBe(1 + 80);

      for (const standin of [a, b]) {
        const seen = await versionsOf(standin, 'contended');
        expect(seen.map((v) => v.tags['writer']).sort()).toEqual(allWriters);
        const dev = (await registeredModels(standin)).find((m) => m.name === 'fraud-detector-dev');
        expect(
          Object.keys(dev?.tags ?? {})
            .filter((k) => /^[ab]-/.test(k))
            .sort(),
        ).toEqual(allWriters);
      }
    });

    it("see each other's writes on the very next call", async () => {
      const statePath = freshStatePath();
      const a = await start(statePath);
      const b = await start(statePath);
      dictOf(await callTool(a.client, 'register_model', { model_name: 'written-by-a', model_uri: LOGGED_MODEL_URI }));
      expect((await versionsOf(b, 'written-by-a')).map((v) => v.version)).toEqual(['1']);
      dictOf(await callTool(b.client, 'register_model', { model_name: 'written-by-a', model_uri: LOGGED_MODEL_URI }));
      dictOf(await callTool(b.client, 'delete_run', { run_id: '1f32c67417521274adcdd67899f54a0f' }));
      expect((await versionsOf(a, 'written-by-a')).map((v) => v.version)).toEqual(['2', '1']);
      const runIds = (
        listOf(await callTool(a.client, 'get_runs', { experiment_id: '1', limit: 10 })) as { run_id: string }[]
      ).map((r) => r.run_id);
      expect(runIds).not.toContain('1f32c67417521274adcdd67899f54a0f');
    });

    it('are not blocked by a lock left behind by a dead process', async () => {
      const statePath = freshStatePath();
      const lockPath = `${statePath}.lock`;
      writeFileSync(lockPath, `${await deadPid()}\n`);
      // At start-up (the file is created under the lock) ...
      const standin = await start(statePath);
      expect(
        readState(statePath)
          .registered_models.map((m) => m.name)
          .sort(),
      ).toEqual(SEED_MODEL_NAMES);
      // ... and on a call.
      writeFileSync(lockPath, `${await deadPid()}\n`);
      dictOf(
        await callTool(standin.client, 'set_registered_model_tag', {
          name: 'legacy-scorer',
          key: 'after',
          value: 'stale-lock',
        }),
      );
      expect(readState(statePath).registered_models.find((m) => m.name === 'legacy-scorer')?.tags).toEqual({
        after: 'stale-lock',
      });
      expect(existsSync(lockPath)).toBe(false);
    });

    it('starting at once on a missing file create it once and serve the same state', async () => {
      const statePath = freshStatePath();
      const [a, b] = await Promise.all([start(statePath), start(statePath)]);
      const file = readState(statePath);
      // Written once, by whichever came first; the other loaded it.
      expect(file.revision).toBe(1);
      expect(file.experiments.map((e) => e.experiment_id)).toEqual(seed.experiments.map((e) => e.experiment_id));
      expect(file.registered_models.map((m) => m.name).sort()).toEqual(SEED_MODEL_NAMES);
      expect(await registeredModels(a)).toEqual(await registeredModels(b));
      expect((await registeredModels(a)).map((m) => m.name)).toEqual(SEED_MODEL_NAMES);
      dictOf(
        await callTool(b.client, 'set_registered_model_tag', { name: 'churn-classifier', key: 'from', value: 'b' }),
      );
      expect((await registeredModels(a)).find((m) => m.name === 'churn-classifier')?.tags).toEqual({
        team: 'growth',
        from: 'b',
      });
    });

    it('still load a state file written before revisions, and add one on the first write', async () => {
      const statePath = freshStatePath();
      writeFileSync(statePath, JSON.stringify(seed, null, 2));
      const [a, b] = await Promise.all([start(statePath), start(statePath)]);
      expect((await registeredModels(a)).map((m) => m.name)).toEqual(SEED_MODEL_NAMES);
      dictOf(
        await callTool(a.client, 'set_registered_model_tag', { name: 'legacy-scorer', key: 'upgraded', value: 'yes' }),
      );
      expect(readState(statePath).revision).toBe(1);
      expect((await registeredModels(b)).find((m) => m.name === 'legacy-scorer')?.tags).toEqual({ upgraded: 'yes' });
    });
  });

  it('--seed loads a custom data file', async () => {
    const seedPath = join(dir, 'tiny-seed.json');
    const tiny = {
      format: 'airlock-mlflow-standin/1',
      experiments: [
        {
          experiment_id: '0',
          name: 'Default',
          artifact_location: 'mlflow-artifacts:/0',
          creation_time: 1,
          last_update_time: 1,
        },
      ],
    };
    writeFileSync(seedPath, JSON.stringify(tiny));
    const standin = await startStdioStandin(['--seed', seedPath]);
    try {
      expect(listOf(await callTool(standin.client, 'get_experiments'))).toEqual([{ name: 'Default', id: '0' }]);
      expect(listOf(await callTool(standin.client, 'get_registered_models'))).toEqual([]);
    } finally {
      await standin.close();
    }
  });

  it('a bad --seed file fails at start naming the file and the JSON path of the problem', async () => {
    const badShape = structuredClone(seed) as { runs: Record<string, unknown>[] };
    badShape.runs[2] = { ...badShape.runs[2], status: 'DONE' };
    const shapePath = join(dir, 'bad-shape.json');
    writeFileSync(shapePath, JSON.stringify(badShape, null, 2));
    const shape = await runCli(['--seed', shapePath]);
    expect(shape.code).toBe(1);
    expect(shape.stdout).toBe('');
    expect(shape.stderr).toContain(`${shapePath}: invalid stand-in data file`);
    expect(shape.stderr).toMatch(/: \/runs\/2\/status: Invalid option: expected one of .*"FINISHED"/);

    // Cross-references are checked too.
    const badRef = structuredClone(seed) as { registered_models: Record<string, unknown>[] };
    badRef.registered_models[0] = { ...badRef.registered_models[0], aliases: { champion: '7' } };
    const refPath = join(dir, 'bad-ref.json');
    writeFileSync(refPath, JSON.stringify(badRef, null, 2));
    const ref = await runCli(['--seed', refPath]);
    expect(ref.code).toBe(1);
    expect(ref.stderr).toContain(
      `${refPath}: invalid stand-in data file\n${refPath}: /registered_models/0/aliases/champion: alias points at missing version 7`,
    );
  });

  it('a --seed file that is not JSON is reported as such', async () => {
    const brokenPath = join(dir, 'broken.json');
    writeFileSync(brokenPath, '{\n  "format": "airlock-mlflow-standin/1",\n  "experiments": [,]\n}\n');
    const { code, stderr } = await runCli(['--seed', brokenPath]);
    expect(code).toBe(1);
    expect(stderr).toContain(brokenPath);
    expect(stderr).toContain('invalid JSON at line 3, column 19');
  });

  it('a missing --seed file is reported by name', async () => {
    const { code, stderr } = await runCli(['--seed', join(dir, 'absent.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'absent.json')}: cannot read stand-in data file`);
  });

  it('stdio mode exits cleanly when stdin closes, with nothing but protocol on stdout', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('shutting down (stdin closed)');
  });
});
