import { findJsonSyntaxError } from './json-syntax.js';

/** Parse JSON text; a syntax error names the line and column, which JSON.parse alone often does not. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = findJsonSyntaxError(text);
    if (where === undefined) throw new SyntaxError(`${source}: invalid JSON: ${(error as Error).message}`);
    throw new SyntaxError(`${source}: invalid JSON at line ${where.line}, column ${where.column}: ${where.message}`);
  }
}
