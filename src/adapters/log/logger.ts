import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One JSON object per line: what CloudWatch, `npm start` and `jq` all read well. */
export type LogRecord = Record<string, unknown> & { type: string };

export interface Logger {
  write(record: LogRecord): void;
}

const line = (record: LogRecord, extra?: Record<string, unknown>) =>
  `${JSON.stringify({ time: new Date().toISOString(), ...extra, ...record })}\n`;

export const stdoutLogger: Logger = {
  write(record) {
    process.stdout.write(line(record));
  },
};

/**
 * Appends to a 0600 file, one line per record, written synchronously: a CLI that draws a
 * progress bar on the terminal keeps its audit trail apart, and a record is on disk before the
 * decision it describes has any effect.
 */
export function fileLogger(file: string, source: string): Logger & { close(): void } {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o600);
  return {
    write: (record) => void writeSync(fd, line(record, { source })),
    close: () => closeSync(fd),
  };
}
