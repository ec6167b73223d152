/**
 * A useful subset of MLflow's search grammar (mlflow/utils/search_utils.py): comparisons
 * `<entity>.<key> <op> <value>` joined with AND, backtick- or double-quoted keys, LIKE/ILIKE,
 * `IN (…)` for run_id, and `order_by` clauses. Anything else is rejected with MLflow's wording.
 */
import { invalidParam } from './errors.js';

export type EntityType = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';
export type FilterValue = string | number | string[];

export interface Clause {
  type: EntityType;
  key: string;
  comparator: string;
  value: FilterValue;
}

export interface OrderClause {
  type: EntityType;
  key: string;
  ascending: boolean;
}

/** What one search API accepts. Attribute names map to the canonical key used to read a value. */
export interface Dialect {
  entities: readonly EntityType[];
  stringAttributes: Readonly<Record<string, string>>;
  numericAttributes: Readonly<Record<string, string>>;
  orderAttributes: Readonly<Record<string, string>>;
}

const ENTITY_ALIASES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'parameter',
  parameters: 'parameter',
  param: 'parameter',
  params: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attr: 'attribute',
  attributes: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

const METRIC_COMPARATORS = ['>', '>=', '!=', '=', '<', '<='];
const STRING_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE'];
const STRING_ATTRIBUTE_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/** A Python set's repr, e.g. {'=', '!='}: MLflow interpolates sets into its messages. */
const pySet = (items: readonly string[]) => `{${items.map((i) => `'${i}'`).join(', ')}}`;

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'keyword' | 'lparen' | 'rparen' | 'comma';
interface Token {
  kind: TokenKind;
  text: string;
}

const IDENT_PART = String.raw`(?:\x60[^\x60]*\x60|"[^"]*"|[A-Za-z_][\w]*)`;
const TOKEN_PATTERNS: [TokenKind, RegExp][] = [
  ['string', /^'(?:[^'\\]|\\.|'')*'/],
  ['number', /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])/],
  ['ident', new RegExp(`^${IDENT_PART}(?:\\.${IDENT_PART})*`)],
  ['op', /^(?:>=|<=|!=|<>|=|>|<)/],
  ['lparen', /^\(/],
  ['rparen', /^\)/],
  ['comma', /^,/],
];
const KEYWORDS = new Set(['AND', 'OR', 'LIKE', 'ILIKE', 'IN', 'NOT']);

function invalidClauses(rest: string): Error {
  return invalidParam(`Invalid clause(s) in filter string: '${rest.trim()}'`);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let rest = source;
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest === '') return tokens;
    const match = TOKEN_PATTERNS.map(([kind, re]) => [kind, re.exec(rest)?.[0]] as const).find(
      ([, m]) => m !== undefined,
    );
    if (!match?.[1]) throw invalidClauses(rest);
    const [kind, text] = match;
    const upper = text.toUpperCase();
    tokens.push({
      kind: kind === 'ident' && KEYWORDS.has(upper) ? 'keyword' : kind,
      text: kind === 'ident' && KEYWORDS.has(upper) ? upper : text,
    });
    rest = rest.slice(text.length);
  }
}

const isQuoted = (s: string, q: string) => s.length >= 2 && s.startsWith(q) && s.endsWith(q);
const trimEnds = (s: string) => s.slice(1, -1);
const stripQuotes = (s: string) => (isQuoted(s, "'") || isQuoted(s, '"') ? trimEnds(s) : s);
const trimBackticks = (s: string) => (isQuoted(s, '`') ? trimEnds(s) : s);

/** `SearchUtils._get_identifier`: "metrics.`a/b`" → metric "a/b"; a bare key is an attribute. */
export function parseIdentifier(
  identifier: string,
  dialect: Dialect,
  attributes: Readonly<Record<string, string>>,
): { type: EntityType; key: string } {
  const dot = identifier.indexOf('.');
  const entityText = trimBackticks(dot < 0 ? 'attribute' : identifier.slice(0, dot));
  const rawKey = dot < 0 ? identifier : identifier.slice(dot + 1);
  const type = ENTITY_ALIASES[entityText];
  if (!type || !dialect.entities.includes(type)) {
    throw invalidParam(
      `Invalid entity type '${entityText}'. Valid values are [${dialect.entities.map((e) => `'${e}'`).join(', ')}]`,
    );
  }
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute') {
    const canonical = attributes[key];
    if (canonical === undefined) {
      throw invalidParam(
        `Invalid attribute key '${key}' specified. Valid keys are '${pySet(Object.keys(attributes))}'`,
      );
    }
    return { type, key: canonical };
  }
  if (type === 'dataset' && !['name', 'digest', 'context'].includes(key)) {
    throw invalidParam(
      `Invalid dataset key '${key}' specified. Valid keys are '${pySet(['name', 'digest', 'context'])}'`,
    );
  }
  return { type, key };
}

function readValue(
  type: EntityType,
  key: string,
  token: Token,
  list: string[] | undefined,
  numericAttribute: boolean,
): FilterValue {
  const isString = token.kind === 'string' || (token.kind === 'ident' && isQuoted(token.text, '"'));
  if (type === 'metric' || numericAttribute) {
    if (token.kind !== 'number') {
      throw invalidParam(
        type === 'metric'
          ? `Expected numeric value type for metric. Found ${token.text}`
          : `Expected numeric value type for numeric attribute: ${key}. Found ${token.text}`,
      );
    }
    return Number(token.text);
  }
  if (list) {
    if (type === 'attribute' && key !== 'run_id') {
      throw invalidParam("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    }
    return list;
  }
  if (isString) return stripQuotes(token.text);
  if (type === 'attribute')
    throw invalidParam(`Expected a quoted string value for attributes. Got value ${token.text}`);
  throw invalidParam(`Expected a quoted string value for ${type} (e.g. 'my-value'). Got value ${token.text}`);
}

function checkComparator(type: EntityType, numericAttribute: boolean, comparator: string): void {
  const allowed =
    type === 'metric' || numericAttribute
      ? METRIC_COMPARATORS
      : type === 'attribute' || type === 'dataset'
        ? STRING_ATTRIBUTE_COMPARATORS
        : STRING_COMPARATORS;
  if (!allowed.includes(comparator))
    throw invalidParam(`Invalid comparator '${comparator}' not one of '${pySet(allowed)}'`);
}

/** Parse a filter string into AND-ed clauses; an empty filter matches everything. */
export function parseFilter(filter: string | null, dialect: Dialect): Clause[] {
  if (!filter || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const clauses: Clause[] = [];
  const attributes = { ...dialect.stringAttributes, ...dialect.numericAttributes };
  let i = 0;
  const restText = () =>
    tokens
      .slice(i)
      .map((t) => t.text)
      .join(' ');
  while (i < tokens.length) {
    const ident = tokens[i];
    if (ident?.kind !== 'ident') throw invalidClauses(restText());
    let comparatorToken = tokens[i + 1];
    let comparator = comparatorToken?.text ?? '';
    let next = i + 2;
    if (comparatorToken?.kind === 'keyword' && comparator === 'NOT' && tokens[i + 2]?.text === 'IN') {
      comparator = 'NOT IN';
      next = i + 3;
    } else if (!(
      comparatorToken?.kind === 'op' ||
      (comparatorToken?.kind === 'keyword' && ['LIKE', 'ILIKE', 'IN'].includes(comparator))
    )) {
      throw invalidClauses(restText());
    }
    comparatorToken = tokens[next];
    if (!comparatorToken) throw invalidClauses(restText());
    let list: string[] | undefined;
    if (comparatorToken.kind === 'lparen') {
      list = [];
      let j = next + 1;
      while (tokens[j]?.kind === 'string') {
        list.push(stripQuotes(tokens[j]?.text ?? ''));
        j += tokens[j + 1]?.kind === 'comma' ? 2 : 1;
      }
      if (tokens[j]?.kind !== 'rparen') throw invalidClauses(restText());
      next = j;
    } else if (!['string', 'number', 'ident'].includes(comparatorToken.kind)) {
      throw invalidClauses(restText());
    }
    const { type, key } = parseIdentifier(ident.text, dialect, attributes);
    const numericAttribute = type === 'attribute' && Object.values(dialect.numericAttributes).includes(key);
    const value = readValue(type, key, comparatorToken, list, numericAttribute);
    checkComparator(type, numericAttribute, comparator);
    clauses.push({ type, key, comparator, value });
    i = next + 1;
    if (i < tokens.length) {
      if (tokens[i]?.text !== 'AND') throw invalidClauses(restText());
      i += 1;
      if (i >= tokens.length) throw invalidClauses('AND');
    }
  }
  return clauses;
}

/** SQL LIKE: % and _ are wildcards, everything else literal. */
function likeToRegExp(pattern: string, flags: string): RegExp {
  const body = [...pattern]
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, `s${flags}`);
}

export function compare(lhs: string | number, comparator: string, rhs: FilterValue): boolean {
  switch (comparator) {
    case '=':
      return lhs === rhs;
    case '!=':
    case '<>':
      return lhs !== rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case 'LIKE':
      return likeToRegExp(String(rhs), '').test(String(lhs));
    case 'ILIKE':
      return likeToRegExp(String(rhs), 'i').test(String(lhs));
    case 'IN':
      return Array.isArray(rhs) && rhs.includes(String(lhs));
    case 'NOT IN':
      return Array.isArray(rhs) && !rhs.includes(String(lhs));
    default:
      return false;
  }
}

/** Reads an entity's value for a clause; undefined (absent) never matches, as in MLflow. */
export type Accessor = (type: EntityType, key: string) => string | number | null | undefined;

export function matchesAll(clauses: readonly Clause[], read: Accessor): boolean {
  return clauses.every((c) => {
    const lhs = read(c.type, c.key);
    return lhs !== undefined && lhs !== null && compare(lhs, c.comparator, c.value);
  });
}

/** `SearchUtils._parse_order_by_string` + `_get_identifier`. */
export function parseOrderBy(clause: string, dialect: Dialect): OrderClause {
  const m = new RegExp(`^\\s*(${IDENT_PART}(?:\\.${IDENT_PART})*)(?:\\s+(\\S+))?\\s*$`).exec(clause);
  const identifier = m?.[1];
  if (!m || identifier === undefined) throw invalidParam(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  const direction = m[2]?.toLowerCase();
  if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
    throw invalidParam(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  const { type, key } = parseIdentifier(identifier, dialect, dialect.orderAttributes);
  return { type, key, ascending: direction !== 'desc' };
}

/** Compare two items by order clauses; missing values sort last in either direction. */
export function compareByOrder<T>(
  orders: readonly OrderClause[],
  read: (item: T, type: EntityType, key: string) => string | number | null | undefined,
): (a: T, b: T) => number {
  return (a, b) => {
    for (const order of orders) {
      const va = read(a, order.type, order.key);
      const vb = read(b, order.type, order.key);
      const aMissing = va === null || va === undefined;
      const bMissing = vb === null || vb === undefined;
      if (aMissing || bMissing) {
        if (aMissing !== bMissing) return aMissing ? 1 : -1;
        continue;
      }
      if (va !== vb) return (va < vb ? -1 : 1) * (order.ascending ? 1 : -1);
    }
    return 0;
  };
}
