import picomatch from 'picomatch';

/**
 * Just enough of a Dockerfile reader for the deploy-file rules (test/integration/deploy-files.test.ts):
 * logical instructions (continuations joined, comments and parser directives dropped) grouped by
 * stage. Syntax itself is dockerfile-utils' job; this only names what the rules look at.
 */
export interface Instruction {
  keyword: string;
  /** The arguments as one line, continuations joined with a space. */
  args: string;
  /** 1-based line of the instruction's first line. */
  line: number;
}

export interface Stage {
  /** The FROM image reference (an earlier stage's name when it builds on one). */
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    // Comment lines may also sit inside a continued instruction; Docker drops them there too.
    if (line.startsWith('#') || (line === '' && pending === undefined)) return;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1).trim() : line;
    pending = pending === undefined ? { text: part, line: index + 1 } : { ...pending, text: `${pending.text} ${part}` };
    if (continued) return;
    addInstruction(stages, pending.text, pending.line);
    pending = undefined;
  });
  if (pending !== undefined) addInstruction(stages, pending.text, pending.line);
  return stages;
}

function addInstruction(stages: Stage[], text: string, line: number): void {
  const [keyword = '', ...rest] = text.split(/\s+/);
  const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' '), line };
  if (instruction.keyword === 'FROM') {
    const words = rest.filter((word) => !word.startsWith('--'));
    const as = words.findIndex((word) => word.toUpperCase() === 'AS');
    stages.push({ image: words[0] ?? '', name: as === -1 ? undefined : words[as + 1], instructions: [] });
    return;
  }
  const stage = stages.at(-1);
  if (stage === undefined) throw new Error(`line ${line}: ${instruction.keyword} before the first FROM`);
  stage.instructions.push(instruction);
}

/** `--name=value` flags at the start of an instruction's arguments (COPY --from=build, HEALTHCHECK --interval=…). */
export function flagsOf(args: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const word of args.split(/\s+/)) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (match === null) break;
    flags.set(match[1]!, match[2] ?? '');
  }
  return flags;
}

/** The arguments after the leading flags. */
export function withoutFlags(args: string): string {
  return args.replace(/^(?:--[a-z-]+(?:=\S*)?\s+)*/, '');
}

/** `ENV A=1 B=2` and `ARG NAME=default` as one map per stage (the legacy `ENV A 1` form is not used here). */
export function assignments(stage: Stage, keyword: 'ENV' | 'ARG'): Map<string, string> {
  const values = new Map<string, string>();
  for (const instruction of stage.instructions.filter((i) => i.keyword === keyword)) {
    for (const match of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|\S*))?/g)) {
      values.set(match[1]!, (match[2] ?? '').replace(/^"|"$/g, ''));
    }
  }
  return values;
}

/**
 * Whether a path (relative to the build context) reaches the builder under these .dockerignore
 * lines: Docker's rule, the last pattern that matches the path or one of its parent folders wins.
 */
export function inBuildContext(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { negated, matches: picomatch(pattern, { dot: true }) };
    });
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.matches(candidate))) included = rule.negated;
  }
  return included;
}
