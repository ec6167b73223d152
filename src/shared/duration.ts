/**
 * Durations as people write them in config and policy files: "90s", "15m", "2h", "1d", "500ms",
 * a named unit ("second", "minute", "hour", "day"), or a plain number of seconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const NAMED_MS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

export const DURATION_HINT = 'a duration like "500ms", "90s", "15m", "2h", "1d", or a number of seconds';

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: string | number, { named = false } = {}): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1_000) : undefined;
  const text = value.trim();
  if (named && text in NAMED_MS) return NAMED_MS[text];
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? Math.round(ms) : undefined;
}

/** "15m", "50s", "1h30m"-free short form for messages: the largest unit that divides evenly. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
