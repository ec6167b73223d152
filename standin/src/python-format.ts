/**
 * Python-compatible text for values the real server renders with Python: `pydantic_core.to_json`
 * for tool results and `repr()` for pydantic error messages. JavaScript loses the int/float
 * distinction, so values that are floats in MLflow (metric values) are wrapped in PyFloat by the
 * code that builds results; everything else that is a number is printed as a Python int.
 */

/** A number that Python holds as a float: `1.0` must print as `1.0`, not `1`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

export type PyValue = null | boolean | number | string | PyFloat | PyValue[] | { [key: string]: PyValue };

/** The same value as plain JSON data (for structuredContent). */
export function toPlain(value: PyValue): unknown {
  if (value instanceof PyFloat) return Number.isFinite(value.value) ? value.value : null;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** Shortest round-trip digits and decimal exponent of a finite, non-zero number. */
function digitsAndExponent(x: number): { sign: string; digits: string; exponent: number } {
  const [mantissa = '0', exp = '0'] = Math.abs(x).toExponential().split('e');
  return { sign: x < 0 ? '-' : '', digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

function positional(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

function scientific(digits: string, exponent: number, python: boolean): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  if (!python) return `${mantissa}e${exponent}`;
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Float as serde_json/ryu prints it (pydantic to_json): 1.0, 0.95, 1e16, 1e-7. NaN/inf → null. */
export function floatToJson(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { sign, digits, exponent } = digitsAndExponent(x);
  if (exponent < -5 || exponent >= 16) return sign + scientific(digits, exponent, false);
  return sign + positional(digits, exponent);
}

/** Float as Python's repr(): 1.0, 1e-05, 1e+16, inf, nan. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { sign, digits, exponent } = digitsAndExponent(x);
  if (exponent < -4 || exponent >= 16) return sign + scientific(digits, exponent, true);
  return sign + positional(digits, exponent);
}

function intText(x: number): string {
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

/** `pydantic_core.to_json(value, indent=2)`: insertion order, ": " and ",\n" separators, UTF-8 unescaped. */
export function toPyJson(value: PyValue, indent = 2, depth = 0): string {
  if (value === null) return 'null';
  if (value instanceof PyFloat) return floatToJson(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? intText(value) : floatToJson(value);
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  const pad = ' '.repeat(indent * (depth + 1));
  const close = ' '.repeat(indent * depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + toPyJson(v, indent, depth + 1)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${toPyJson(v, indent, depth + 1)}`).join(',\n')}\n${close}}`;
}

/** Python's repr() of a str: single quotes unless the text has ' and no ". */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a JSON-decoded value (numbers that are whole print as ints). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? intText(value) : floatRepr(value);
  if (typeof value === 'string') return strRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${strRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Python's str(): like repr() except that a str is itself. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's type name for a JSON-decoded value, as pydantic prints it in `input_type=`. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}
