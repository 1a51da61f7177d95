/**
 * Structured JSON logs in the shape Cloud Logging reads from stdout: `severity` instead of pino's
 * numeric level, `message` instead of `msg`, and trace ids under the logging.googleapis.com keys.
 */
import { pino, type Logger } from 'pino';
import { traceLogFields } from './telemetry/logFields.ts';

export type { Logger };

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    base: options.name ? { component: options.name } : {},
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
    },
    // Called for every line: links it to the active span's trace, when there is one.
    mixin: traceLogFields,
  });
}
