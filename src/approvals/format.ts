/** Short texts for people: argument summaries, clock times, ages. Pure; the clock is a parameter. */

/** `name="m" version="3" tags={"a":1}`: one line, each value cut to `valueMax`, the whole to `max`. */
export function summarizeArgs(args: unknown, { max = 120, valueMax = 40 } = {}): string {
  let text: string;
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    const entries = Object.entries(args as Record<string, unknown>).filter(([, v]) => v !== undefined);
    text = entries.length === 0 ? '(no arguments)' : entries.map(([k, v]) => `${k}=${cut(oneLine(v), valueMax)}`).join(' ');
  } else {
    text = cut(oneLine(args), max);
  }
  return cut(text, max);
}

function oneLine(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.replace(/\s+/gu, ' ');
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** "14:32 UTC" when `at` falls on the same UTC day as `now`, else "2026-11-26 14:32 UTC". */
export function formatClock(at: number, now: number = Date.now()): string {
  const iso = new Date(at).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? '' : iso.slice(0, 10) + ' '}${iso.slice(11, 16)} UTC`;
}

/**
 * "45s", "12m", "3h", "2d": a non-negative span in its largest unit. Ages round down; time left
 * rounds up (`up`), so a fresh 15-minute approval says "in 15m", not "in 14m".
 */
export function formatSpan(ms: number, { up = false } = {}): string {
  const round = up ? Math.ceil : Math.floor;
  const s = Math.max(0, round(ms / 1_000));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${round(s / 60)}m`;
  if (s < 86_400) return `${round(s / 3_600)}h`;
  return `${round(s / 86_400)}d`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
