import { PassThrough } from 'node:stream';
import winston from 'winston';
import { logger } from '../agent/log/logger.ts';

/** A log line as winston hands it to a transport: level, message and the line's fields. */
export type HeardLine = { level: string; message: string } & Record<string, unknown>;

/**
 * The log lines written (at info and above) while a test runs, heard here and not printed: the
 * test runner may silence the log (HUBWARDEN_LOG_LEVEL), so the logger is made to speak for the
 * test and put back as it was after it.
 */
export function heardLines<Line extends HeardLine = HeardLine>(t: { after(fn: () => void): void }): Line[] {
  const lines: Line[] = [];
  const sink = new PassThrough({ objectMode: true });
  sink.on('data', (info: Line) => lines.push(info));
  const transport = new winston.transports.Stream({ stream: sink, level: 'info' });
  const { silent, level } = logger;
  const printed = logger.transports.map((tr) => [tr, tr.silent] as const);
  for (const [tr] of printed) tr.silent = true;
  Object.assign(logger, { silent: false, level: 'info' });
  logger.add(transport);
  t.after(() => {
    logger.remove(transport);
    Object.assign(logger, { silent, level });
    for (const [tr, was] of printed) tr.silent = was;
  });
  return lines;
}
