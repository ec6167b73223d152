import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * Policy regexes (`op: "regex"`), compiled with RE2 (re2js) instead of JavaScript's RegExp.
 *
 * Why: the strings are the agent's. A backtracking engine lets one argument stall the event loop
 * for minutes (`^(a+)+$` against 49 a's and a "!"), and with it every other agent, every held
 * approval, /healthz and even SIGTERM. RE2 matches in time linear in the input, and has none of
 * the constructs that need backtracking (backreferences, lookaround, possessive and atomic
 * groups), so patterns using them are rejected when the policy loads, saying which one and why.
 */

/**
 * Most instructions a pattern may compile to. Linear time is input length × pattern size: on a
 * 64 Ki-character value `(\w+\s*){330}$` (1,983 instructions) takes ~0.2 s, `(\w+\s*){700}$`
 * (4,203) ~9 s. Everyday patterns stay far below (a UUID is 40, fifty model names ~370); large
 * counted repetitions such as `.{1,1000}` are what reach it.
 */
export const MAX_REGEX_PROGRAM_SIZE = 2000;

const RE2_SYNTAX = 'policy regexes use RE2 syntax (linear time)';

export interface PolicyRegex {
  readonly source: string;
  /** Unanchored search, like RegExp.prototype.test: true if the pattern matches anywhere. */
  test(input: string): boolean;
}

/** Compiles a pattern the schema has accepted. @throws Error (with regexProblem's text) otherwise. */
export function compilePolicyRegex(pattern: string): PolicyRegex {
  const { compiled, problem } = tryCompile(pattern);
  if (compiled === undefined) throw new Error(problem);
  // test() runs RE2's DFA (no capture groups), much faster than matcher().find() on long inputs.
  return Object.freeze({ source: pattern, test: (input: string) => compiled.test(input) });
}

/** Why `pattern` cannot be a policy regex, in words that say what to write instead; undefined if it can. */
export function regexProblem(pattern: string): string | undefined {
  return tryCompile(pattern).problem;
}

function tryCompile(
  pattern: string,
): { compiled: RE2JS; problem?: undefined } | { compiled?: undefined; problem: string } {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    return { problem: explain(pattern, error) };
  }
  const size = compiled.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return {
      problem: `too complex: ${quote(pattern)} compiles to ${size} RE2 instructions, at most ${MAX_REGEX_PROGRAM_SIZE} are allowed (large counted repetitions such as {1000} cost the most); simplify it or split it into several conditions`,
    };
  }
  return { compiled };
}

/** A construct RE2 refuses, recognised from the parser's error and the text it points at. */
interface Unsupported {
  readonly error: RegExp;
  readonly at: RegExp;
  readonly describe: (at: string) => string;
}

const NO_LOOKAROUND = 'RE2 has no lookaround; match the text itself, or split the check into several conditions';
const UNSUPPORTED: readonly Unsupported[] = [
  {
    error: /unsupported Perl syntax/,
    at: /^\(\?=/,
    describe: () => `lookahead \`(?=…)\` is not supported: ${RE2_SYNTAX}, and ${NO_LOOKAROUND}`,
  },
  {
    error: /unsupported Perl syntax/,
    at: /^\(\?!/,
    describe: () => `negative lookahead \`(?!…)\` is not supported: ${RE2_SYNTAX}, and ${NO_LOOKAROUND}`,
  },
  {
    error: /invalid named capture/,
    at: /^\(\?<=/,
    describe: () => `lookbehind \`(?<=…)\` is not supported: ${RE2_SYNTAX}, and ${NO_LOOKAROUND}`,
  },
  {
    error: /invalid named capture/,
    at: /^\(\?<!/,
    describe: () => `negative lookbehind \`(?<!…)\` is not supported: ${RE2_SYNTAX}, and ${NO_LOOKAROUND}`,
  },
  {
    error: /unsupported Perl syntax/,
    at: /^\(\?>/,
    describe: () => `atomic group \`(?>…)\` is not supported: ${RE2_SYNTAX}, which never backtracks; write \`(?:…)\``,
  },
  {
    error: /unsupported Perl syntax/,
    at: /^\(\?#/,
    describe: () => `comment \`(?#…)\` is not supported: ${RE2_SYNTAX}; remove it`,
  },
  {
    error: /unsupported Perl syntax/,
    at: /^\(\?/,
    describe: (at) => `group syntax \`${at}\` is not supported: ${RE2_SYNTAX}`,
  },
  {
    error: /invalid escape/,
    at: /^\\[1-9]/,
    describe: (at) =>
      `backreference \`${at}\` is not supported: ${RE2_SYNTAX}, which cannot refer back to a captured group`,
  },
  {
    error: /invalid escape/,
    at: /^\\k/,
    describe: () =>
      `named backreference \`\\k<…>\` is not supported: ${RE2_SYNTAX}, which cannot refer back to a captured group`,
  },
  {
    error: /invalid escape/,
    at: /^\\u/,
    describe: () => `the escape \`\\u\` is not supported: ${RE2_SYNTAX}; write a code point as \`\\x{00E9}\``,
  },
  {
    error: /invalid escape/,
    at: /^\\Z/,
    describe: () => `the escape \`\\Z\` is not supported: ${RE2_SYNTAX}; write \`\\z\` or \`$\``,
  },
  {
    error: /invalid escape/,
    at: /^\\/,
    describe: (at) =>
      `the escape \`${at}\` is not supported: ${RE2_SYNTAX} (see https://github.com/google/re2/wiki/Syntax)`,
  },
  {
    error: /invalid nested repetition/,
    at: /^(?:[*+?]|\{[\d,]*\})\+$/,
    describe: (at) =>
      `possessive quantifier \`${at}\` is not supported: ${RE2_SYNTAX}, which never backtracks; write \`${at.slice(0, -1)}\``,
  },
  {
    error: /invalid repeat count/,
    at: /^/,
    describe: (at) => `the repeat count \`${at}\` is not supported: RE2 allows at most {1000}, and min ≤ max`,
  },
];

function explain(pattern: string, error: unknown): string {
  if (error instanceof RE2JSSyntaxException) {
    const at = error.getPattern() ?? '';
    const known = UNSUPPORTED.find((u) => u.error.test(error.getDescription()) && u.at.test(at));
    if (known) return known.describe(at);
    return `expected a valid regular expression, got ${quote(pattern)} (Invalid regular expression: ${error.getDescription()}: \`${at}\`; ${RE2_SYNTAX})`;
  }
  const why = error instanceof Error ? error.message : String(error);
  return `expected a valid regular expression, got ${quote(pattern)} (${why}; ${RE2_SYNTAX})`;
}

function quote(pattern: string): string {
  const text = JSON.stringify(pattern);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
