import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stderr (stdout belongs to the MCP protocol in stdio mode). Anything that looks
 * like a credential is censored wherever it appears in a logged object.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'airlock',
      level: options.level ?? process.env.AIRLOCK_LOG_LEVEL ?? 'info',
      redact: {
        paths: [
          'token',
          '*.token',
          '*.*.token',
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'bot_token',
          '*.bot_token',
          'signing_secret',
          '*.signing_secret',
          'app_token',
          '*.app_token',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
