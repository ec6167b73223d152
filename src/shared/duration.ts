import parseMs from 'ms';

/**
 * Durations as people write them in config and policy files, and every text Airlock writes for
 * a duration or a clock time. Parsing: "90s", "15m", "2h", "1d", "500ms", a named unit ("second",
 * "minute", "hour", "day") where allowed, or a plain number of seconds. Pure; the clock is a parameter.
 */

const AMOUNT = String.raw`\d+(?:\.\d+)?`;
const UNITS = 'ms|s|m|h|d';
// `ms` reads far more ("-1h", "2 weeks", "1Y", "90" as milliseconds): this is what our docs promise.
const DURATION_TEXT = new RegExp(`^(${AMOUNT})\\s*(${UNITS})$`);

/** The policy file's form (its JSON Schema `pattern` for editors): no spaces; the lookahead rejects zero ("0s"). */
export const DURATION_PATTERN = new RegExp(`^(?=[^1-9]*[1-9])(${AMOUNT})(${UNITS})$`);
export const NAMED_WINDOWS = ['second', 'minute', 'hour', 'day'] as const;

export const DURATION_HINT = 'a duration like "500ms", "90s", "15m", "2h", "1d", or a number of seconds';

/** Milliseconds, or undefined when the text is not a duration (or is zero). */
export function parseDuration(value: string | number, { named = false } = {}): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1_000) : undefined;
  const text = value.trim();
  if (named && (NAMED_WINDOWS as readonly string[]).includes(text)) return parseMs(`1 ${text}` as parseMs.StringValue);
  const match = DURATION_TEXT.exec(text);
  if (!match) return undefined;
  const total: number | undefined = parseMs(`${match[1]}${match[2]}` as parseMs.StringValue); // undefined past 100 characters
  return total !== undefined && total > 0 ? Math.round(total) : undefined;
}

/** For config echoes and logs, as a config file would write it: "15m", "50s", "250ms" (the largest unit that divides evenly). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** For agents told to wait (and the people watching them): rounded up, so one that waits as told is never early: "12 s", "3 min", "2 h 5 min". */
export function retryAfterText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1_000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** For Slack summaries, after "in the last": "minute", "30 seconds", "1500 ms". */
export function windowText(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return ms === size ? unit : `${ms / size} ${unit}s`;
  }
  return `${ms} ms`;
}

/**
 * For CLI tables: "45s", "12m", "3h", "2d", a non-negative span in its largest unit. Ages round
 * down; time left rounds up (`up`), so a fresh 15-minute approval says "in 15m", not "in 14m".
 */
export function formatSpan(ms: number, { up = false } = {}): string {
  const round = up ? Math.ceil : Math.floor;
  const s = Math.max(0, round(ms / 1_000));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${round(s / 60)}m`;
  if (s < 86_400) return `${round(s / 3_600)}h`;
  return `${round(s / 86_400)}d`;
}

/** For approvers (Slack, CLI, agents' texts), when something expires: "14:32 UTC" on the same UTC day as `now`, else "2026-11-26 14:32 UTC". */
export function formatClock(at: number, now: number = Date.now()): string {
  const iso = new Date(at).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? '' : iso.slice(0, 10) + ' '}${iso.slice(11, 16)} UTC`;
}
