import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/paths.js';

/** Run `airlock mlflow-standin …` to completion (stdin closed at once). */
async function runStandinCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'mlflow-standin', ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

// The stand-in is its own program (standin/); the gateway's CLI hands `mlflow-standin` to it unparsed.
describe('airlock mlflow-standin', () => {
  it('shows the stand-in’s own options under the gateway’s name', async () => {
    const { code, stdout } = await runStandinCommand(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: airlock mlflow-standin [options]');
    for (const option of ['--http <port>', '--host <host>', '--seed <file>', '--state <file>'])
      expect(stdout).toContain(option);
  });

  it('names a bad option value and exits 1', async () => {
    const { code, stderr } = await runStandinCommand(['--http', 'eighty']);
    expect(code).toBe(1);
    expect(stderr).toContain("option '--http <port>' argument 'eighty' is invalid");
    expect(stderr).toContain('expected a port number');
  });

  it('reports a failure to start under the gateway’s name', async () => {
    const { code, stderr } = await runStandinCommand(['--seed', '/nonexistent/seed.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^airlock mlflow-standin: .*\/nonexistent\/seed\.json/m);
  });

  it('lists the gateway’s commands with mlflow-standin among them', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    await new Promise((resolve) => child.on('exit', resolve));
    expect(stdout).toMatch(/mlflow-standin \[options\]\s+Serve a stand-in for the MLflow MCP server/);
  });
});
