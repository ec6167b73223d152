import { ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import { guardedAccess, isListed, type AccessDeps } from './access-step.js';
import type { Caller } from './call-context.js';
import { checkRoundTarget, roundOf, upstreamRoundParams, type InputRounds } from './input-rounds.js';
import { asPassedThrough, invalidParams } from './protocol-error.js';
import type { ToolCatalogue } from './tool-catalogue.js';

/**
 * prompts/list and prompts/get: the upstreams' prompts under the tools' naming rule, filtered and
 * decided by the policy's `prompts` sections (access-step.ts), forwarded unchanged otherwise.
 */
export function registerPrompts(
  server: Server,
  deps: AccessDeps & { catalogue: ToolCatalogue; rounds: InputRounds },
  callerOf: (ctx: ServerContext) => Caller,
): void {
  server.setRequestHandler('prompts/list', (_request, ctx) => {
    const caller = callerOf(ctx);
    const listed = deps.catalogue
      .listPrompts()
      .filter((entry) =>
        isListed(deps, caller, { kind: 'prompts', server: entry.upstream.name, name: entry.upstreamPrompt }),
      );
    return { prompts: listed.map((entry) => ({ ...entry.prompt, name: entry.name })) };
  });
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const { name } = request.params;
    const entry = deps.catalogue.resolvePrompt(name);
    const unknown = () => invalidParams(`Unknown prompt: ${name}`);
    if (entry === undefined) throw unknown();
    const caller = callerOf(ctx);
    const round = roundOf(ctx);
    const target = `prompts/get ${name}`;
    checkRoundTarget(round, target);
    const access = {
      kind: 'prompts' as const,
      server: entry.upstream.name,
      name: entry.upstreamPrompt,
      args: request.params.arguments ?? {},
    };
    const result = await guardedAccess(deps, caller, access, unknown, () =>
      entry.upstream
        .getPrompt(
          upstreamRoundParams({ ...request.params, name: entry.upstreamPrompt }, round),
          { signal: ctx.mcpReq.signal },
          caller.channel,
        )
        .catch((error: unknown) => {
          throw error instanceof ProtocolError ? asPassedThrough(error) : error;
        }),
    );
    return deps.rounds.seal(caller.grant.name, result, { t: target }, ctx);
  });
}
