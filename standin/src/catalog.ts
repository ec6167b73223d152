/**
 * The tools/list and prompts/list payload of kkruglik/mlflow-mcp 0.4, as data. The JSON is served
 * verbatim (the objects from the file, not a re-serialisation), so names, descriptions, schemas and
 * annotations stay byte-for-byte what the real server publishes.
 */
import { z } from 'zod';
import payload from './mlflow-mcp.tools.json' with { type: 'json' };

/** The JSON Schema subset pydantic emits for the stand-in's parameter types. */
export interface ParamSchema {
  type?: string;
  items?: ParamSchema;
  anyOf?: ParamSchema[];
  default?: unknown;
  additionalProperties?: boolean;
  title?: string;
}

const ParamSchemaZ: z.ZodType<ParamSchema> = z.lazy(() =>
  z.looseObject({
    type: z.string().optional(),
    items: ParamSchemaZ.optional(),
    anyOf: z.array(ParamSchemaZ).optional(),
    default: z.unknown().optional(),
    additionalProperties: z.boolean().optional(),
    title: z.string().optional(),
  }),
);

const ToolZ = z.looseObject({
  name: z.string(),
  description: z.string(),
  inputSchema: z.looseObject({
    type: z.literal('object'),
    title: z.string(),
    properties: z.record(z.string(), ParamSchemaZ),
    required: z.array(z.string()).optional(),
  }),
  outputSchema: z
    .looseObject({ type: z.literal('object'), properties: z.looseObject({ result: ParamSchemaZ }) })
    .optional(),
  annotations: z.looseObject({ readOnlyHint: z.boolean() }),
});

const PromptZ = z.looseObject({
  name: z.string(),
  description: z.string(),
  arguments: z.array(z.looseObject({ name: z.string(), required: z.boolean() })),
});

const CatalogZ = z.looseObject({
  instructions: z.string(),
  tools: z.array(ToolZ).length(40),
  prompts: z.array(PromptZ),
});

export type ToolDefinition = z.infer<typeof ToolZ>;
export type PromptDefinition = z.infer<typeof PromptZ>;

// Parse to check the shape at start-up, but keep serving the original objects.
CatalogZ.parse(payload);
const catalog = payload as unknown as z.infer<typeof CatalogZ>;

export const SERVER_NAME = 'mlflow';
/** FastMCP passes no version, so serverInfo.version is the installed `mcp` package's version. */
export const SERVER_VERSION = '1.29.0';
export const INSTRUCTIONS = catalog.instructions;
export const TOOLS: readonly ToolDefinition[] = catalog.tools;
export const PROMPTS: readonly PromptDefinition[] = catalog.prompts;
export const TOOL_NAMES: readonly string[] = TOOLS.map((t) => t.name);

const toolsByName = new Map(TOOLS.map((t) => [t.name, t]));
export const findTool = (name: string): ToolDefinition | undefined => toolsByName.get(name);

const promptsByName = new Map(PROMPTS.map((p) => [p.name, p]));
export const findPrompt = (name: string): PromptDefinition | undefined => promptsByName.get(name);

/** How FastMCP shapes a tool's return value, read off its published schemas (spec §2). */
export type ResultKind = 'dict' | 'list' | 'str' | 'optional-dict';

export function resultKind(tool: ToolDefinition): ResultKind {
  const result = tool.outputSchema?.properties.result;
  if (!result) return 'dict';
  if (result.type === 'array') return 'list';
  if (result.type === 'string') return 'str';
  return 'optional-dict';
}
