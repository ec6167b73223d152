import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAgentHttp, type AgentEra } from '../helpers/agents.js';
import { readAuditEvents } from '../helpers/audit.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { gatewayForFile } from '../helpers/gateway.js';
import { ROOT, tempDir } from '../helpers/paths.js';

// The reference server with prompts, resources and templates, as the one upstream (URIs unchanged).
const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const TOKEN = 'access-agent-token-0123456789';
const DOCS = 'demo://resource/static/document/';
const dir = tempDir();
const configFile = writeGatewayConfig(dir, {
  upstreams: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], protocol: '2025-11-25' } },
  policy: {
    version: '1',
    default: 'deny',
    tools: { '*': {} },
    prompts: {
      'simple-prompt': {},
      'completable-prompt': {},
      'args-prompt': { action: 'deny', reason: 'Ask in #data instead' },
      'resource-prompt': { action: 'hide' },
    },
    resources: {
      [`${DOCS}*`]: {},
      [`${DOCS}instructions.md`]: { action: 'hide' },
      'demo://resource/dynamic/text/*': {},
    },
  },
  grants: [{ name: 'agent', token: TOKEN }],
});

const fixture = gatewayForFile(configFile);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: undefined, message: 'no error', data: undefined }),
    (e: { code?: number; message: string; data?: unknown }) => e,
  );

describe.each<AgentEra>(['legacy', 'modern'])('the prompts and resources policy sections, to a %s agent', (era) => {
  let agent: Client;

  beforeAll(async () => {
    agent = fixture.track(await connectAgentHttp(fixture.get().mcpUrl, TOKEN, era));
  });

  it('lists only the allowed prompts; a denied one is refused with its rule and reason', async () => {
    const { prompts } = await agent.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['completable-prompt', 'simple-prompt']);
    expect((await agent.getPrompt({ name: 'simple-prompt' })).messages.length).toBeGreaterThan(0);
    const denied = await failure(agent.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } }));
    expect(denied.message).toContain('Denied by Airlock policy (rule /prompts/args-prompt): Ask in #data instead');
    expect(denied.data).toMatchObject({ status: 'denied', rule: '/prompts/args-prompt' });
  });

  it('answers a hidden prompt as unknown, and completes nothing for it', async () => {
    const hidden = await failure(agent.getPrompt({ name: 'resource-prompt', arguments: { resourceType: 'Text' } }));
    expect(hidden.message).toContain('Unknown prompt: resource-prompt');
    const completion = await agent.complete({
      ref: { type: 'ref/prompt', name: 'resource-prompt' },
      argument: { name: 'resourceType', value: 'T' },
    });
    expect(completion.completion.values).toEqual([]);
  });

  it('lists and reads allowed resources; a hidden one is not found, an unlisted one denied by default', async () => {
    const { resources } = await agent.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris.length).toBe(6);
    expect(uris).not.toContain(`${DOCS}instructions.md`);
    expect((await agent.readResource({ uri: `${DOCS}features.md` })).contents[0]!.uri).toBe(`${DOCS}features.md`);
    const hidden = await failure(agent.readResource({ uri: `${DOCS}instructions.md` }));
    expect(hidden).toMatchObject({ code: -32602, data: { uri: `${DOCS}instructions.md` } });
    const { resourceTemplates } = await agent.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['demo://resource/dynamic/text/{resourceId}']);
    expect((await agent.readResource({ uri: 'demo://resource/dynamic/text/2' })).contents.length).toBe(1);
    const denied = await failure(agent.readResource({ uri: 'demo://resource/dynamic/blob/2' }));
    expect(denied.message).toContain('Denied by Airlock policy (rule /default)');
  });

  it('refuses a subscription to a hidden resource', async () => {
    if (era === 'legacy') {
      const hidden = await failure(agent.subscribeResource({ uri: `${DOCS}instructions.md` }));
      expect(hidden.code).toBe(-32602);
      await agent.subscribeResource({ uri: `${DOCS}features.md` });
    } else {
      // 2026-07-28 subscribes on the listen stream: the acknowledgement honours the allowed URI only.
      const subscription = await agent.listen({
        resourceSubscriptions: [`${DOCS}instructions.md`, `${DOCS}features.md`],
      });
      expect(subscription.honoredFilter.resourceSubscriptions).toEqual([`${DOCS}features.md`]);
      await subscription.close();
    }
  });
});

describe('the audit trail of prompts and resources', () => {
  it('records each get and read like a tool call, with prompt:<name> and resource:<uri>', () => {
    const events = readAuditEvents(fixture.get().auditFile!);
    const decided = events.filter((e) => e.type === 'policy.decided');
    expect(decided).toContainEqual(
      expect.objectContaining({ tool: 'prompt:args-prompt', action: 'deny', rule: '/prompts/args-prompt' }),
    );
    expect(decided).toContainEqual(
      expect.objectContaining({
        tool: `resource:${DOCS}features.md`,
        action: 'allow',
        rule: `/resources/${DOCS.replaceAll('/', '~1')}*`,
      }),
    );
    expect(decided).toContainEqual(
      expect.objectContaining({ tool: 'resource:demo://resource/dynamic/blob/2', action: 'deny' }),
    );
    const outcomes = events.filter((e) => e.type === 'call.outcome' && e.tool === 'prompt:simple-prompt');
    expect(outcomes.map((e) => (e as { outcome: string }).outcome)).toEqual(['ok', 'ok']);
  });
});
