/**
 * Just enough of a PromQL reader for the Grafana dashboard's check (test/integration/grafana-dashboard.test.ts):
 * which metrics an expression selects, with which label matchers, and which labels its
 * aggregations group by and over which selectors. Grafana variables (`$job`, `${server}`,
 * `$__rate_interval`) are read as values. What it does not understand (vector matching with
 * `on`/`ignoring`, selectors without a metric name, unknown functions) it refuses, so a query
 * it cannot check fails the test instead of passing unread.
 */

export interface Selector {
  metric: string;
  /** Label names of its `{label=…}` matchers. */
  matchers: { label: string; op: string; value: string }[];
  /** Token index, to tell which scopes contain it. */
  at: number;
}

/** A function call or an aggregation, with the token range of its argument parentheses. */
export interface Scope {
  name: string;
  kind: 'function' | 'aggregation';
  /** The aggregation's `by (…)` or `without (…)` labels; empty for functions and plain `sum(…)`. */
  grouping: string[];
  /** Whether `grouping` is the labels kept (`by`) or dropped (`without`). */
  mode: 'by' | 'without' | undefined;
  from: number;
  to: number;
}

export interface PromqlUses {
  selectors: Selector[];
  scopes: Scope[];
  /** Grafana variables the expression uses, without `$`, braces or `:format`. */
  variables: string[];
}

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
]);
/** Functions whose arguments are ordinary expressions (label_replace and friends make labels: refused). */
const FUNCTIONS = new Set([
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'changes',
  'resets',
  'histogram_quantile',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'quantile_over_time',
  'abs',
  'ceil',
  'floor',
  'round',
  'clamp',
  'clamp_min',
  'clamp_max',
  'absent',
  'absent_over_time',
  'scalar',
  'vector',
  'time',
  'timestamp',
]);
const BINARY_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'atan2']);
const MATCHING_KEYWORDS = new Set(['on', 'ignoring', 'group_left', 'group_right']);

type TokenKind = 'ident' | 'number' | 'string' | 'variable' | 'range' | 'op' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
}

const TOKEN_PATTERNS: [TokenKind | 'skip', RegExp][] = [
  ['skip', /\s+|#[^\n]*/y],
  ['string', /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/y],
  ['variable', /\$\{[^}]+\}|\$\w+/y],
  // A range or subquery, `[5m]`, `[$__rate_interval]`, `[1h:1m]`: its content names no metric.
  ['range', /\[[^\]]*\]/y],
  ['number', /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*(?:\d+(?:ms|[smhdwy]))*/y],
  ['ident', /[a-zA-Z_:][a-zA-Z0-9_:]*/y],
  ['op', /=~|!~|!=|==|>=|<=|[-+*/%^<>=]/y],
  ['punct', /[(){},]/y],
];

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  outer: while (at < expr.length) {
    for (const [kind, pattern] of TOKEN_PATTERNS) {
      pattern.lastIndex = at;
      const match = pattern.exec(expr);
      if (match === null) continue;
      at = pattern.lastIndex;
      if (kind !== 'skip') tokens.push({ kind, text: match[0] });
      continue outer;
    }
    throw new Error(`cannot read PromQL at "${expr.slice(at, at + 20)}" in: ${expr}`);
  }
  return tokens;
}

/** For each `(`, `{` the index of its closing partner. */
function partners(tokens: Token[], expr: string): Map<number, number> {
  const closing = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'punct') return;
    if (token.text === '(' || token.text === '{') open.push(index);
    if (token.text === ')' || token.text === '}') {
      const start = open.pop();
      const expected = token.text === ')' ? '(' : '{';
      if (start === undefined || tokens[start]!.text !== expected)
        throw new Error(`unbalanced "${token.text}" in: ${expr}`);
      closing.set(start, index);
    }
  });
  if (open.length > 0) throw new Error(`unclosed bracket in: ${expr}`);
  return closing;
}

function variableName(text: string): string {
  return text.replace(/^\$\{?/u, '').replace(/(?::[^}]*)?\}$/u, '');
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/gu, '$1');
}

export function promqlUses(expr: string): PromqlUses {
  const tokens = tokenize(expr);
  const closing = partners(tokens, expr);
  const selectors: Selector[] = [];
  const scopes: Scope[] = [];
  const variables = new Set<string>();
  const consumed = new Set<number>();
  const is = (index: number, kind: TokenKind, text?: string) =>
    tokens[index]?.kind === kind && (text === undefined || tokens[index]!.text === text);
  const fail = (message: string): never => {
    throw new Error(`${message} in: ${expr}`);
  };
  const noteVariables = (text: string) => {
    for (const [name] of text.matchAll(/\$\{[^}]+\}|\$\w+/gu)) variables.add(variableName(name));
  };

  /** `(a, b)` from the `(` at `start`: the label names, and the index after `)`. */
  const labelList = (start: number): { labels: string[]; next: number } => {
    if (!is(start, 'punct', '(')) fail('expected a label list after by/without');
    const end = closing.get(start)!;
    const labels: string[] = [];
    for (let i = start + 1; i < end; i++) {
      if (is(i, 'ident')) labels.push(tokens[i]!.text);
      else if (!is(i, 'punct', ',')) fail(`unexpected "${tokens[i]!.text}" in a label list`);
      consumed.add(i);
    }
    consumed.add(start).add(end);
    return { labels, next: end + 1 };
  };

  /** `{a="x", b=~"y"}` from the `{` at `start`. */
  const matchers = (start: number): Selector['matchers'] => {
    const end = closing.get(start)!;
    const found: Selector['matchers'] = [];
    for (let i = start + 1; i < end;) {
      if (is(i, 'punct', ',')) {
        i++;
        continue;
      }
      if (!is(i, 'ident') || !is(i + 1, 'op') || !is(i + 2, 'string')) fail('expected label="value" in a selector');
      found.push({ label: tokens[i]!.text, op: tokens[i + 1]!.text, value: unquote(tokens[i + 2]!.text) });
      noteVariables(tokens[i + 2]!.text);
      i += 3;
    }
    for (let i = start; i <= end; i++) consumed.add(i);
    return found;
  };

  for (let i = 0; i < tokens.length; i++) {
    if (consumed.has(i)) continue;
    const token = tokens[i]!;
    if (token.kind === 'variable' || token.kind === 'string' || token.kind === 'range') noteVariables(token.text);
    if (token.kind === 'punct' && token.text === '{') fail('a selector without a metric name');
    if (token.kind !== 'ident') continue;
    const word = token.text;
    if (BINARY_KEYWORDS.has(word) || /^(inf|nan)$/iu.test(word)) continue;
    if (MATCHING_KEYWORDS.has(word)) fail(`vector matching (${word}) is not checked by this reader`);
    if (word === 'by' || word === 'without') fail(`${word} outside an aggregation`);
    if (word === 'offset') {
      consumed.add(i + 1);
      continue;
    }
    const grouped = is(i + 1, 'ident', 'by') || is(i + 1, 'ident', 'without');
    if (AGGREGATIONS.has(word) && (grouped || is(i + 1, 'punct', '('))) {
      let grouping: string[] = [];
      let mode: Scope['mode'];
      let open = i + 1;
      if (grouped) {
        mode = tokens[i + 1]!.text as 'by' | 'without';
        consumed.add(i + 1);
        ({ labels: grouping, next: open } = labelList(i + 2));
      }
      const to = closing.get(open);
      if (to === undefined || !is(open, 'punct', '(')) return fail(`expected the argument of ${word}`);
      if (!grouped && (is(to + 1, 'ident', 'by') || is(to + 1, 'ident', 'without'))) {
        mode = tokens[to + 1]!.text as 'by' | 'without';
        consumed.add(to + 1);
        grouping = labelList(to + 2).labels;
      }
      scopes.push({ name: word, kind: 'aggregation', grouping, mode, from: open, to });
      i = open;
      continue;
    }
    if (is(i + 1, 'punct', '(')) {
      if (!FUNCTIONS.has(word)) fail(`function ${word} is not known to this reader`);
      scopes.push({
        name: word,
        kind: 'function',
        grouping: [],
        mode: undefined,
        from: i + 1,
        to: closing.get(i + 1)!,
      });
      continue;
    }
    selectors.push({ metric: word, matchers: is(i + 1, 'punct', '{') ? matchers(i + 1) : [], at: i });
  }
  return { selectors, scopes, variables: [...variables] };
}

/** The selectors inside a scope's parentheses. */
export function selectorsIn(uses: PromqlUses, scope: Scope): Selector[] {
  return uses.selectors.filter((s) => s.at > scope.from && s.at < scope.to);
}
