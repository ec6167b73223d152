/** Short texts for people: argument summaries and ISO times (durations and clock times: src/shared/duration.ts). Pure. */

/** `name="m" version="3" tags={"a":1}`: one line, each value cut to `valueMax`, the whole to `max`. */
export function summarizeArgs(args: unknown, { max = 120, valueMax = 40 } = {}): string {
  let text: string;
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    const entries = Object.entries(args as Record<string, unknown>).filter(([, v]) => v !== undefined);
    text =
      entries.length === 0 ? '(no arguments)' : entries.map(([k, v]) => `${k}=${cut(oneLine(v), valueMax)}`).join(' ');
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

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
