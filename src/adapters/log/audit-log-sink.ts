import type { AuditSink } from '../../core/ports';
import type { Logger } from './logger';

/** Every policy decision as one `{type:"audit"}` line, written before the use case goes on. */
export function logAuditSink(logger: Logger): AuditSink {
  return { record: (event) => logger.write({ type: 'audit', ...event }) };
}
