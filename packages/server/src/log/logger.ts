import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process logger. Passed down explicitly, never global; child
 * loggers carry component and ids. Tokens and message content are never logged.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
