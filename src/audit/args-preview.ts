/**
 * What the audit trail keeps of a call's (already redacted) arguments: the whole value when its
 * JSON fits in `maxBytes`, else a pruned copy that still reads as the arguments — every key up to
 * a count, long strings cut with "… [N more characters]", long arrays with "… [N more items]",
 * deep nesting summed up — and is valid JSON of at most `maxBytes` bytes. See README.md
 * "Arguments".
 */

export interface ArgsPreview {
  /** The JSON text to store (the value's own key order; same length as its canonical JSON). */
  json: string;
  /** True when something was cut (the text is a preview, not the arguments). */
  truncated: boolean;
}

/** The key that stands for an object's keys left out. */
export const MORE_KEYS = '…';

interface Limits {
  /** Characters kept of each string (and key). */
  chars: number;
  /** Items kept of each array, keys of each object. */
  items: number;
  /** Levels of nesting kept; deeper objects and arrays become a one-line description. */
  depth: number;
}

/**
 * Tried in order until one fits: generous first, so one long string keeps most of the budget and
 * several share it; then ever fewer characters, items and levels.
 */
function steps(maxBytes: number): Limits[] {
  return [
    { chars: Math.floor(maxBytes * 0.9), items: 100, depth: 16 },
    { chars: Math.floor(maxBytes / 4), items: 100, depth: 16 },
    { chars: Math.floor(maxBytes / 16), items: 50, depth: 12 },
    { chars: 100, items: 20, depth: 8 },
    { chars: 40, items: 10, depth: 6 },
    { chars: 16, items: 5, depth: 4 },
    { chars: 8, items: 2, depth: 2 },
  ];
}

const TOO_LARGE = JSON.stringify('[too large to preview]');

/** Thrown inside one attempt as soon as its output cannot fit: each attempt costs O(maxBytes). */
const OVER = Symbol('over budget');

export function previewArgs(value: unknown, maxBytes: number): ArgsPreview {
  if (jsonBytesAtMost(value, maxBytes)) {
    const json = JSON.stringify(value) ?? 'null';
    if (Buffer.byteLength(json) <= maxBytes) return { json, truncated: false };
  }
  for (const limits of steps(maxBytes)) {
    const pruned = prune(value, limits, maxBytes);
    if (pruned === OVER) continue;
    const json = JSON.stringify(pruned) ?? 'null';
    if (Buffer.byteLength(json) <= maxBytes) return { json, truncated: true };
  }
  return { json: TOO_LARGE, truncated: true };
}

/** Room for "… [N more characters]": cutting less than this would make the text longer. */
const MARKER_CHARS = 24;

/** A string cut to `chars` characters (never inside a surrogate pair) with how much was left out. */
export function cutString(text: string, chars: number): string {
  if (text.length <= chars + MARKER_CHARS) return text;
  let end = chars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [${text.length - end} more characters]`;
}

/**
 * Whether JSON.stringify(value) is at most `limit` bytes, without serializing values that are
 * clearly larger (a 4 MB string is rejected by its length alone).
 */
function jsonBytesAtMost(value: unknown, limit: number): boolean {
  let used = 0;
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') {
      // UTF-8 never takes fewer bytes than UTF-16 code units: a cheap lower bound first.
      if (used + v.length + 2 > limit) return false;
      used += Buffer.byteLength(JSON.stringify(v));
      return used <= limit;
    }
    if (v === null || typeof v !== 'object') {
      used += primitiveBytes(v);
      return used <= limit;
    }
    // Brackets, plus one comma between members.
    used += 1;
    if (Array.isArray(v)) {
      for (const item of v) if ((used += 1) > limit || !walk(item)) return false;
      return (used += v.length === 0 ? 1 : 0) <= limit;
    }
    const keys = Object.keys(v);
    for (const key of keys) {
      used += Buffer.byteLength(JSON.stringify(key)) + 2; // "key": and the comma (or the closing brace)
      if (used > limit || !walk((v as Record<string, unknown>)[key])) return false;
    }
    return (used += keys.length === 0 ? 1 : 0) <= limit;
  };
  return walk(value);
}

/** The JSON length of a number, boolean or null (0 for what JSON leaves out). */
function primitiveBytes(value: unknown): number {
  if (typeof value === 'bigint') return String(value).length;
  return JSON.stringify(value)?.length ?? 0;
}

/** One pruning attempt, or OVER as soon as its output's size (a lower bound) passes `maxBytes`. */
function prune(value: unknown, limits: Limits, maxBytes: number): unknown {
  let used = 0;
  const spend = (bytes: number) => {
    used += bytes;
    if (used > maxBytes) throw OVER;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const cut = cutString(v, limits.chars);
      spend(cut.length + 2);
      return cut;
    }
    if (v === null || typeof v !== 'object') {
      spend(primitiveBytes(v));
      return v;
    }
    // Markers are never cut themselves.
    const marker = (text: string) => {
      spend(text.length + 2);
      return text;
    };
    if (Array.isArray(v)) {
      if (depth >= limits.depth) return marker(`[array of ${v.length} items]`);
      spend(1);
      const kept = Math.min(v.length, limits.items);
      const out: unknown[] = [];
      for (let i = 0; i < kept; i++) {
        spend(1);
        out.push(walk(v[i], depth + 1));
      }
      if (v.length > kept) out.push(marker(`… [${v.length - kept} more items]`));
      return out;
    }
    const keys = Object.keys(v);
    if (depth >= limits.depth) return marker(`[object with ${keys.length} keys]`);
    spend(1);
    const kept = Math.min(keys.length, limits.items);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < kept; i++) {
      const key = cutString(keys[i]!, limits.chars);
      spend(key.length + 4);
      out[key] = walk((v as Record<string, unknown>)[keys[i]!], depth + 1);
    }
    if (keys.length > kept) out[MORE_KEYS] = marker(`[${keys.length - kept} more keys]`);
    return out;
  };
  try {
    return walk(value, 0);
  } catch (error) {
    if (error === OVER) return OVER;
    throw error;
  }
}
