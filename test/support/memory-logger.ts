import type { Logger, LogRecord } from '../../src/adapters/log/logger';

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
