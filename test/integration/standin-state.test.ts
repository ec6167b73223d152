/** `--state` persistence across restarts, `--seed` validation, and process lifecycle. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import seed from '../../src/standin/seed.json' with { type: 'json' };
import { CLI, REPO_ROOT, callTool, dictOf, listOf, startStdioStandin, waitForExit } from '../helpers/standin.js';

/** Run the CLI to completion (stdin closed at once) and collect its exit code and stderr. */
async function runCli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'mlflow-standin', ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stdin.end();
  const code = await waitForExit(child);
  return { code, stderr, stdout };
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
    dictOf(await callTool(first.client, 'register_model', { model_name: 'survivor', model_uri: 'models:/m-f4abfb7ffb0d841e572eb32ace1f56d0' }));
    dictOf(await callTool(first.client, 'set_model_alias', { name: 'fraud-detector-dev', alias: 'fallback', version: '2' }));
    dictOf(await callTool(first.client, 'delete_run', { run_id: '1f32c67417521274adcdd67899f54a0f' }));

    // No clean shutdown: every change must already be on disk.
    const closed = new Promise<void>((resolve) => (first.client.onclose = () => resolve()));
    process.kill(first.transport.pid ?? -1, 'SIGKILL');
    await closed;
    expect(JSON.parse(readFileSync(statePath, 'utf8')).format).toBe('airlock-mlflow-standin/1');

    const second = await startStdioStandin(['--state', statePath]);
    try {
      const versions = listOf(await callTool(second.client, 'get_model_versions', { model_name: 'survivor' })) as { version: string }[];
      expect(versions.map((v) => v.version)).toEqual(['1']);
      expect(dictOf(await callTool(second.client, 'get_model_version_by_alias', { name: 'fraud-detector-dev', alias: 'fallback' }))['version']).toBe('2');
      const runIds = (listOf(await callTool(second.client, 'get_runs', { experiment_id: '1', limit: 10 })) as { run_id: string }[]).map((r) => r.run_id);
      expect(runIds).not.toContain('1f32c67417521274adcdd67899f54a0f');
      // Numbering continues from the saved state.
      expect(dictOf(await callTool(second.client, 'register_model', { model_name: 'survivor', model_uri: 'models:/m-f4abfb7ffb0d841e572eb32ace1f56d0' }))['version']).toBe('2');
    } finally {
      await second.close();
    }
  });

  it('--seed loads a custom data file', async () => {
    const seedPath = join(dir, 'tiny-seed.json');
    const tiny = { format: 'airlock-mlflow-standin/1', experiments: [{ experiment_id: '0', name: 'Default', artifact_location: 'mlflow-artifacts:/0', creation_time: 1, last_update_time: 1 }] };
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
    expect(ref.stderr).toContain(`${refPath}: invalid stand-in data file\n${refPath}: /registered_models/0/aliases/champion: alias points at missing version 7`);
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
