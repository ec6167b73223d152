/**
 * Where a JSON text first goes wrong. Node 20's JSON.parse often names no position at all
 * ("Unexpected token '}', ... is not valid JSON"), and people fixing a policy file need a line
 * and a column. This scanner runs only after JSON.parse has failed.
 */
export interface JsonSyntaxError {
  line: number;
  column: number;
  message: string;
}

class Failure {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 1_000;

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    const before = text.slice(0, error.at);
    const line = before.split('\n').length;
    return { line, column: error.at - before.lastIndexOf('\n'), message: error.message };
  }
}

/** A recursive-descent JSON checker that throws `Failure` at the first byte that is wrong. */
class Scanner {
  private i = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.value(0);
    this.space();
    if (this.i < this.text.length) this.fail('the end of the file after the JSON value');
  }

  private fail(expected: string): never {
    const got = this.i >= this.text.length ? 'the end of the file' : JSON.stringify(this.text[this.i]);
    throw new Failure(this.i, `expected ${expected}, got ${got}`);
  }

  private space(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.i)) this.fail('a JSON value');
    this.i += word.length;
  }

  private string(): void {
    const { text } = this;
    this.i++; // opening quote
    for (;;) {
      if (this.i >= text.length) this.fail("a closing '\"'");
      const c = text[this.i]!;
      if (c === '"') return void this.i++;
      if (c < ' ') this.fail('no raw control character inside a string (use an escape like \\n)');
      if (c !== '\\') {
        this.i++;
        continue;
      }
      this.i++;
      if (text[this.i] === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(this.i + 1, this.i + 5))) this.fail('four hex digits after \\u');
        this.i += 5;
      } else if (this.i < text.length && '"\\/bfnrt'.includes(text[this.i]!)) this.i++;
      else this.fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
    }
  }

  private value(depth: number): void {
    if (depth > MAX_DEPTH) this.fail('less deeply nested JSON');
    this.space();
    const c = this.text[this.i];
    if (c === '{') return this.members('}', () => this.member(depth));
    if (c === '[') return this.members(']', () => this.value(depth + 1));
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    NUMBER.lastIndex = this.i;
    if (NUMBER.test(this.text)) return void (this.i = NUMBER.lastIndex);
    this.fail('a JSON value');
  }

  private member(depth: number): void {
    this.space();
    if (this.text[this.i] !== '"') this.fail('a property name in double quotes');
    this.string();
    this.space();
    if (this.text[this.i] !== ':') this.fail("':' after the property name");
    this.i++;
    this.value(depth + 1);
  }

  private members(close: string, member: () => void): void {
    this.i++;
    this.space();
    if (this.text[this.i] === close) return void this.i++;
    for (;;) {
      member();
      this.space();
      if (this.text[this.i] === ',') {
        this.i++;
        this.space();
        if (this.text[this.i] === close) this.fail(`another item after ',' (JSON has no trailing commas)`);
        continue;
      }
      if (this.text[this.i] === close) return void this.i++;
      this.fail(`',' or '${close}'`);
    }
  }
}
