/**
 * Text pieces for Slack messages and Slack's published limits. Pure. Agent-supplied strings are
 * always escaped (`&`, `<`, `>`), so an argument such as "<!channel>" can never ping anyone.
 */

/** https://docs.slack.dev/reference/block-kit — the limits the Web API enforces with invalid_blocks. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3_000,
  sectionField: 2_000,
  sectionFields: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 2_000,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3_000,
  inputLabel: 2_000,
  /** chat.postMessage `text`: Slack truncates beyond 40,000; notifications show far less. */
  fallbackText: 3_000,
} as const;

function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/gu, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;'));
}

/**
 * Escapes `raw` and cuts it so the escaped text fits `budget` UTF-16 units (what Slack counts),
 * never inside an entity or a surrogate pair. `omitted` counts the raw characters left out.
 */
export function escapeAndCut(raw: string, budget: number): { text: string; omitted: number } {
  const chars = [...raw];
  let out = '';
  let i = 0;
  for (; i < chars.length; i++) {
    const piece = escapeMrkdwn(chars[i]!);
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return { text: out, omitted: chars.length - i };
}

/** Escaped and cut to `max` with a trailing "…" when cut: for one-line fields. */
export function mrkdwnLine(raw: string, max: number): string {
  const { text, omitted } = escapeAndCut(raw, max);
  if (omitted === 0) return text;
  return escapeAndCut(raw, Math.max(0, max - 1)).text + '…';
}

/** Cut to `max` UTF-16 units with "…", never inside a surrogate pair (plain_text needs no escaping). */
export function plainCut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return out + '…';
}

/** Inline code that stays inline code: backticks inside would end it. */
export function code(raw: string, max = 200): string {
  return '`' + mrkdwnLine(raw.replace(/`/gu, "'"), max) + '`';
}

/** A Slack user (U…/W…) or user group (S…) id as a mention; anything else (CLI, console names) as escaped text. */
export function who(id: string): string {
  if (/^[UW][A-Z0-9]{2,}$/u.test(id)) return `<@${id}>`;
  if (/^S[A-Z0-9]{2,}$/u.test(id)) return `<!subteam^${id}>`;
  return mrkdwnLine(id, 80);
}

/** `2026-11-25 14:32 UTC`: the fallback Slack shows where it cannot localize a date token. */
export function utcText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A time every reader sees in their own time zone: `<!date^epoch^{date_short_pretty} at {time}|fallback>`. */
export function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1_000)}^{date_short_pretty} at {time}|${utcText(ms)}>`;
}

/** "850 ms", "1.2 s", "3 min 5 s". */
export function durationText(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Pretty JSON that cannot close a ``` code block early. */
export function prettyJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? String(value);
  return text.replace(/```/gu, '`\u200b`\u200b`');
}
