import type { AuditEvent, AuditSink, Clock } from '../../src/core/ports';

export class FakeClock implements Clock {
  constructor(public current = new Date('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export class MemoryAudit implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
}

export const ADMIN = 'arn:aws:iam::111122223333:role/vault-admin';
