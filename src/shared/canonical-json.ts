import canonicalize from 'canonicalize';

/**
 * Canonical JSON (RFC 8785, JCS, by the `canonicalize` package): object keys sorted by UTF-16
 * code units at every depth, arrays in order, numbers and strings as JSON.stringify writes them.
 * Two argument objects that differ only in key order have one text, so one hash: what approval
 * fingerprints and the audit's `args_sha256` are computed over.
 *
 * Values JSON cannot hold are treated as JSON.stringify treats them: `undefined` members are
 * dropped (null in arrays) and `undefined` itself is "null".
 */
export function canonicalJson(value: unknown): string {
  try {
    return canonicalize(value) ?? 'null';
  } catch (error) {
    // RFC 8785 refuses what JSON.stringify accepts: NaN and ±Infinity, and strings with a lone
    // surrogate (JSON.parse lets an agent send "\ud800"). Refusing would fail such calls, so they
    // get JSON.stringify's text, as before this module used the package: non-finite numbers as
    // null, lone surrogates escaped, keys sorted (integer-like keys first, as JS objects order
    // them). Cycles still throw.
    return JSON.stringify(sortedCopy(value, error)) ?? 'null';
  }
}

function sortedCopy(value: unknown, cause: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 1_000) throw cause; // a cycle: call arguments nest at most 64 levels
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return sortedCopy((value as { toJSON(): unknown }).toJSON(), cause, depth + 1);
  if (Array.isArray(value)) return value.map((item) => sortedCopy(item, cause, depth + 1));
  // A null prototype keeps a "__proto__" key as data, as canonicalize does.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort())
    sorted[key] = sortedCopy((value as Record<string, unknown>)[key], cause, depth + 1);
  return sorted;
}
