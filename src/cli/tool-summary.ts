import type { Tool } from '@modelcontextprotocol/server';

/** One argument of a tool, as a person reads it. */
export interface ArgumentSummary {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

const SECTION = /\n\s*(Args|Arguments|Parameters|Returns|Raises|Examples?):\s*\n/i;
const MAX_PURPOSE = 600;

/** What the tool does: its description up to its argument docs, whitespace folded, at most 600 characters. */
export function purpose(tool: Pick<Tool, 'description'>): string {
  const text = (tool.description ?? '').split(SECTION)[0]!.replace(/\s+/g, ' ').trim();
  if (text === '') return '(the server gives no description)';
  return text.length <= MAX_PURPOSE ? text : `${text.slice(0, MAX_PURPOSE - 1)}…`;
}

/**
 * Its arguments from the input schema, each described by the schema or, failing that, by the
 * docstring's `Args:` section (Python servers such as mlflow-mcp document arguments there).
 */
export function argumentsOf(tool: Pick<Tool, 'inputSchema' | 'description'>): ArgumentSummary[] {
  const schema = tool.inputSchema as { properties?: Record<string, Schema>; required?: string[] };
  const documented = docstringArgs(tool.description);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const description = firstSentence(property.description ?? documented.get(name));
    return {
      name,
      type: typeOf(property),
      required: schema.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
    };
  });
}

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  default?: unknown;
  description?: string;
}

function typeOf(schema: Schema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  const base = type === 'array' && schema.items ? `${typeOf(schema.items)}[]` : type;
  return schema.default === undefined ? base : `${base} = ${JSON.stringify(schema.default)}`;
}

/** `name: text` lines of a docstring's Args section. */
function docstringArgs(description: string | undefined): Map<string, string> {
  const args = new Map<string, string>();
  const section = description?.split(/\n\s*(?:Args|Arguments|Parameters):\s*\n/i)[1]?.split(SECTION)[0];
  let current: string | undefined;
  for (const line of section?.split('\n') ?? []) {
    const match = line.match(/^\s*(\w+)(?:\s*\([^)]*\))?:\s*(.*)$/);
    if (match) {
      current = match[1]!;
      args.set(current, match[2]!.trim());
    } else if (current !== undefined && line.trim() !== '') args.set(current, `${args.get(current)} ${line.trim()}`);
  }
  return args;
}

function firstSentence(text: string | undefined): string | undefined {
  const folded = text?.replace(/\s+/g, ' ').trim();
  if (!folded) return undefined;
  // A sentence ends before a capital letter: "e.g. 'x'" does not end one.
  const sentence = folded.match(/^.*?[.!?](?=\s+[A-Z]|$)/)?.[0] ?? folded;
  return sentence.length <= 100 ? sentence : `${sentence.slice(0, 99)}…`;
}
