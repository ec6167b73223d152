import { AirlockError } from '../shared/index.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${NAME}` and `${NAME:-fallback}` in every string of a parsed config, so secrets stay
 * in the environment. A reference to an unset variable without a fallback is an error naming
 * the JSON path and the variable; `$${` escapes a literal `${`.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, source: string, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, source, path || '/');
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, source, `${path}/${index}`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, source, `${path}/${key}`)]),
    );
  }
  return value;
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, source: string, path: string): string {
  const escaped = text.split('$${');
  return escaped
    .map((part) =>
      part.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        throw new AirlockError(
          'config_invalid',
          `${source}: ${path}: environment variable ${name} is not set (referenced as \${${name}})`,
        );
      }),
    )
    .join('${');
}
