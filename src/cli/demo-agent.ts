import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { OUTCOME_STATUSES, type OutcomeStatus } from '../shared/index.js';

/** The demo's registry objects (standin/src/seed.json): a dev model whose versions get promoted to staging. */
export const DEMO_MODEL = 'fraud-detector-dev';
export const DEMO_TARGET = 'fraud-detector-staging';
/** The burst stops here even if nothing refuses it (the seed policy allows 60 tag writes a minute). */
const MAX_BURST = 70;
/** A held request lasts the grant's hold (50 s) and reports progress every 15 s; this only catches a wedged gateway. */
const CALL_TIMEOUT_MS = 120_000;

/** What one step of the script printed: the decision the agent met, and what it got back. */
export interface StepLine {
  decision: string;
  call: string;
  got: string;
}

export const copyArgs = (version: string) => ({
  src_model_name: DEMO_MODEL,
  src_version: version,
  dst_model_name: DEMO_TARGET,
});

/**
 * The scripted agent: a real MCP SDK client over Streamable HTTP with the demo grant's token,
 * making the calls an agent would make and reading only what an agent reads (results and progress).
 */
export class DemoAgent {
  private constructor(private readonly client: Client) {}

  static async connect(mcpUrl: string, token: string): Promise<DemoAgent> {
    const client = new Client({ name: 'airlock-demo-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return new DemoAgent(client);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private call(name: string, args: Record<string, unknown>, onProgress?: (message: string) => void) {
    return this.client.callTool(
      { name, arguments: args },
      {
        timeout: CALL_TIMEOUT_MS,
        resetTimeoutOnProgress: true,
        ...(onProgress ? { onprogress: (p: { message?: string }) => p.message && onProgress(p.message) } : {}),
      },
    );
  }

  /** Step 1: a read the seed policy allows (get_*). Returns the versions, which step 4 picks from. */
  async readVersions(): Promise<{ line: StepLine; versions: string[] }> {
    const result = await this.call('get_model_versions', { model_name: DEMO_MODEL });
    const versions = versionList(result).sort((a, b) => Number(a.version) - Number(b.version));
    const got =
      versions.length === 0
        ? textOf(result)
        : `${versions.length} versions: ${versions.map((v) => `${v.version} ${v.current_stage ?? ''}`.trim()).join(', ')}`;
    return {
      line: { decision: decisionOf(result), call: `get_model_versions ${DEMO_MODEL}`, got },
      versions: versions.map((v) => v.version),
    };
  }

  /** Step 2: a destructive call the policy denies; the agent reads the rule's reason. */
  async deleteModel(): Promise<StepLine> {
    const result = await this.call('delete_registered_model', { name: DEMO_MODEL });
    return { decision: decisionOf(result), call: `delete_registered_model ${DEMO_MODEL}`, got: textOf(result) };
  }

  /**
   * Step 3: the same tag write again and again (one key, one value: the store is not cluttered)
   * until the shared registry_writes counter refuses; whatever an earlier run left in the window.
   */
  async tagBurst(): Promise<StepLine> {
    const args = { name: DEMO_MODEL, key: 'airlock.demo', value: 'burst' };
    const call = `set_registered_model_tag ${DEMO_MODEL}`;
    for (let admitted = 0; admitted < MAX_BURST; admitted++) {
      const result = await this.call('set_registered_model_tag', args);
      const status = airlockStatus(result);
      if (status === 'rate_limited')
        return { decision: decisionOf(result), call, got: `${admitted} admitted, then refused: ${textOf(result)}` };
      if (status !== undefined) return { decision: decisionOf(result), call, got: textOf(result) };
    }
    return {
      decision: 'allowed',
      call,
      got: `${MAX_BURST} admitted and none refused: is the limit still in the policy?`,
    };
  }

  /**
   * Step 4: a call the policy holds for a human. The gateway keeps the request open for the hold
   * window and reports progress (which names the approval); if the window ends first the answer
   * is `pending`, and the agent calls again with the same arguments, which re-attaches to the
   * same approval, until it is decided. `stop` ends the retries (the demo is shutting down).
   */
  async copyVersion(
    version: string,
    hooks: { onHeld: (approvalId: string, message: string) => void; onRetry: (approvalId: string) => void },
    stop: AbortSignal,
  ): Promise<{ result: CallToolResult; approvalId: string | undefined }> {
    let approvalId: string | undefined;
    const onProgress = (message: string) => {
      const id = /\bapproval (apr_\w+)/u.exec(message)?.[1];
      if (id !== undefined && approvalId === undefined) hooks.onHeld((approvalId = id), message);
    };
    for (;;) {
      const result = await this.call('copy_model_version', copyArgs(version), onProgress);
      if (airlockStatus(result) !== 'pending' || stop.aborted) return { result, approvalId };
      const pendingId = (result.structuredContent as { approval_id?: string | null }).approval_id ?? approvalId;
      if (pendingId) {
        if (approvalId === undefined) hooks.onHeld((approvalId = pendingId), textOf(result));
        hooks.onRetry(pendingId);
      }
    }
  }
}

/** `structuredContent.status` of an answer Airlock worded (src/shared/outcome.ts); undefined for the upstream's own. */
export function airlockStatus(result: CallToolResult): OutcomeStatus | undefined {
  const status = (result.structuredContent as { status?: unknown } | undefined)?.status;
  return OUTCOME_STATUSES.find((s) => s === status);
}

const DECISIONS: Record<OutcomeStatus, string> = {
  denied: 'denied',
  rate_limited: 'rate limited',
  pending: 'held',
  expired: 'expired',
  withdrawn: 'withdrawn',
  unknown: 'unknown',
  max_pending: 'refused',
  unavailable: 'refused',
  upstream_unavailable: 'failed',
};

export function decisionOf(result: CallToolResult): string {
  const status = airlockStatus(result);
  return status === undefined ? 'allowed' : DECISIONS[status];
}

/** The result's text, on one line (an agent-facing outcome, or the upstream's answer). */
export function textOf(result: CallToolResult): string {
  const text = result.content
    .flatMap((c) => (c.type === 'text' ? [c.text] : []))
    .join(' ')
    .replace(/\s+/gu, ' ')
    .trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text || '(no text)';
}

/** copy_model_version's answer (the stand-in's `{name, version, status, source}`), as a person reads it. */
export function describeCopy(result: CallToolResult): string {
  if (airlockStatus(result) !== undefined || result.isError) return textOf(result);
  const copied = parseFirstJson(result) as { name?: string; version?: string; status?: string; source?: string };
  if (copied?.name === undefined || copied.version === undefined) return textOf(result);
  return `${copied.name} version ${copied.version} created (${copied.status ?? 'status ?'}) from ${copied.source ?? 'the source version'}`;
}

function versionList(result: CallToolResult): { version: string; current_stage?: string }[] {
  const list = (result.structuredContent as { result?: unknown } | undefined)?.result;
  if (!Array.isArray(list)) return [];
  return list.filter((v): v is { version: string; current_stage?: string } => typeof v?.version === 'string');
}

function parseFirstJson(result: CallToolResult): unknown {
  const first = result.content.find((c) => c.type === 'text');
  try {
    return first?.type === 'text' ? JSON.parse(first.text) : undefined;
  } catch {
    return undefined;
  }
}
