/** One JSON object per line on stdout: what CloudWatch and `npm start` both read well. */
export type LogRecord = Record<string, unknown> & { type: string };

export interface Logger {
  write(record: LogRecord): void;
}

export const stdoutLogger: Logger = {
  write(record) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  },
};

/** Collects records in memory: for tests that assert what was (and was not) logged. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  write(record: LogRecord): void {
    this.records.push(record);
  }
  text(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n');
  }
}
