/**
 * `Mcp-Param-*` headers (MCP 2026-07-28 Streamable HTTP, SEP-2243): a tool's inputSchema may mark
 * primitive properties with `x-mcp-header: <Name>`, and a 2026-era HTTP tools/call then carries
 * each such argument in an `Mcp-Param-<Name>` header too, so proxies and load balancers can route
 * on it. Airlock checks them on what agents send (a mismatch is refused with 400, as the spec
 * requires of servers) and writes them on what it sends to HTTP upstreams, since the SDK's client
 * does not. The SDK has these rules internally but does not export them.
 */

export const PARAM_HEADER_PREFIX = 'Mcp-Param-';
/** -32020 HeaderMismatch, the 2026-07-28 code for headers that disagree with the body. */
export const HEADER_MISMATCH_CODE = -32020;

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;
const CANONICAL_DECIMAL = /^-?\d+(\.\d+)?$/u;
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/u;
const HEADER_TYPES = new Set(['string', 'integer', 'boolean', 'number']);

export interface ParamHeader {
  /** The argument's path through `properties`. */
  path: string[];
  /** The header name after the prefix, as declared. */
  name: string;
  type: string;
}

/** The declarations reachable through `properties` chains (the only place the spec allows them). */
export function paramHeaderDeclarations(inputSchema: unknown): ParamHeader[] {
  const found: ParamHeader[] = [];
  const visit = (schema: unknown, path: string[]) => {
    if (schema === null || typeof schema !== 'object') return;
    const node = schema as Record<string, unknown>;
    const name = node['x-mcp-header'];
    const type = node['type'];
    if (path.length > 0 && typeof name === 'string' && HEADER_TOKEN.test(name) && typeof type === 'string') {
      if (HEADER_TYPES.has(type)) found.push({ path, name, type });
    }
    const properties = node['properties'];
    if (properties !== null && typeof properties === 'object') {
      for (const [key, child] of Object.entries(properties)) visit(child, [...path, key]);
    }
  };
  visit(inputSchema, []);
  return found;
}

/** The headers a tools/call with these arguments carries (absent and null values carry none). */
export function paramHeaders(declarations: readonly ParamHeader[], args: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const declaration of declarations) {
    const text = primitiveText(valueAt(args, declaration.path));
    if (text !== undefined) headers[PARAM_HEADER_PREFIX + declaration.name] = encodeValue(text);
  }
  return headers;
}

/** The first header that disagrees with the body, said in words; undefined when all agree. */
export function paramHeaderMismatch(
  declarations: readonly ParamHeader[],
  args: unknown,
  header: (name: string) => string | undefined,
): { header: string; body: string } | undefined {
  for (const declaration of declarations) {
    const name = PARAM_HEADER_PREFIX + declaration.name;
    const raw = valueAt(args, declaration.path);
    const text = primitiveText(raw);
    if (text === undefined) continue;
    const where = `${declaration.path.join('.')}=${JSON.stringify(raw)}`;
    const sent = header(name);
    if (sent === undefined) return { header: name, body: `the body carries ${where} but the ${name} header is absent` };
    const decoded = decodeValue(sent.trim());
    if (decoded === undefined) return { header: name, body: `the ${name} header carries an invalid Base64 value` };
    const numeric = (declaration.type === 'integer' || declaration.type === 'number') && typeof raw === 'number';
    const equal = numeric && CANONICAL_DECIMAL.test(decoded) ? Number(decoded) === raw : decoded === text;
    if (!equal)
      return {
        header: name,
        body: `the ${name} header decodes to ${JSON.stringify(decoded)} but the body carries ${where}`,
      };
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value)))
    return String(value);
  return undefined;
}

/** Plain when it is a safe field value already, else `=?base64?<UTF-8 as Base64>?=`. */
function encodeValue(text: string): string {
  const plain =
    text.length > 0 &&
    text === text.trim() &&
    !(text.startsWith(SENTINEL_PREFIX) && text.endsWith(SENTINEL_SUFFIX)) &&
    [...text].every((ch) => ch === '\t' || (ch >= ' ' && ch <= '~'));
  return plain ? text : SENTINEL_PREFIX + Buffer.from(text, 'utf8').toString('base64') + SENTINEL_SUFFIX;
}

function decodeValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value;
  const base64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!CANONICAL_BASE64.test(base64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    return undefined;
  }
}
