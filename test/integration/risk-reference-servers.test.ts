import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { classifyTool, type ClassifiedTool } from '../../src/risk/index.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { CLI, ROOT, tempDir, writeJson } from '../helpers/paths.js';

// Risk classes of real servers' tools: the reference filesystem and memory servers annotate
// every tool, which makes them a check on the heuristics: stripped of their annotations, the
// tools' names and descriptions alone must give the classes the annotations give.
const dir = tempDir();
const reference = (name: string) => join(ROOT, 'node_modules', '@modelcontextprotocol', name, 'dist', 'index.js');
const servers = {
  files: { command: process.execPath, args: [reference('server-filesystem'), dir] },
  memory: {
    command: process.execPath,
    args: [reference('server-memory')],
    env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
  },
};

async function toolsOf(server: { command: string; args: string[]; env?: Record<string, string> }) {
  const client = new Client({ name: 'risk-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ ...server, env: { PATH: process.env.PATH ?? '', ...server.env }, stderr: 'ignore' }),
  );
  try {
    return (await client.listTools()).tools as ClassifiedTool[];
  } finally {
    await client.close();
  }
}

describe('risk classes of the reference servers', () => {
  it('gives every tool the class its annotations say, and the same class from its name and description alone', async () => {
    for (const server of Object.values(servers)) {
      const tools = await toolsOf(server);
      expect(tools.length).toBeGreaterThan(8);
      for (const tool of tools) {
        const { annotations, ...bare } = tool;
        const said = annotations!.readOnlyHint ? 'read' : annotations!.destructiveHint ? 'destructive' : 'write';
        expect(classifyTool(tool), tool.name).toMatchObject({ category: said, confidence: 'high' });
        expect(classifyTool(bare), `${tool.name} without annotations`).toMatchObject({ category: said });
      }
    }
  });

  it('shows them in airlock check', () => {
    const config = writeGatewayConfig(dir, {
      upstreams: servers,
      policy: writeJson(join(dir, 'deny.json'), { version: '1', default: 'deny' }),
      grants: [{ name: 'agent', token: 'risk-reference-token-0123456789ab' }],
    });
    const run = spawnSync(process.execPath, [CLI, 'check', join(dir, 'deny.json'), '--config', config], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/files\s+write_file\s+destructive\/high\s+deny/);
    expect(run.stdout).toMatch(/files\s+create_directory\s+write\/medium\s+deny/);
    expect(run.stdout).toMatch(/files\s+read_text_file\s+read\/low\s+deny/);
    expect(run.stdout).toMatch(/memory\s+delete_entities\s+destructive\/high\s+deny/);
    expect(run.stdout).toMatch(/memory\s+open_nodes\s+read\/low\s+deny/);
  });
});
