/** All tool handlers by name; start-up fails if the catalog and the handlers disagree. */
import { TOOL_NAMES } from '../catalog.js';
import { artifactTools } from './artifacts.js';
import type { ToolHandler } from './context.js';
import { experimentTools } from './experiments.js';
import { loggedModelTools } from './logged-models.js';
import { registryReadTools } from './registry-read.js';
import { registryWriteTools } from './registry-write.js';
import { runTools } from './runs.js';

export type { ToolContext, ToolHandler } from './context.js';

const groups = [experimentTools, runTools, artifactTools, registryReadTools, registryWriteTools, loggedModelTools];

export const TOOL_HANDLERS: ReadonlyMap<string, ToolHandler> = new Map(groups.flatMap((g) => Object.entries(g)));

const missing = TOOL_NAMES.filter((name) => !TOOL_HANDLERS.has(name));
const extra = [...TOOL_HANDLERS.keys()].filter((name) => !TOOL_NAMES.includes(name));
if (missing.length > 0 || extra.length > 0) {
  throw new Error(
    `stand-in tool handlers out of step with the catalog: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`,
  );
}
