/** A real pino logger whose lines a test reads. */
import { pino } from 'pino';
import type { Logger } from '../../src/logger.ts';

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

export function recordingLogger(): { logger: Logger; lines: () => LogLine[]; messages: () => string[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines: () => [...lines], messages: () => lines.map((line) => line.msg) };
}
