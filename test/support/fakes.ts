import { randomBytes } from 'node:crypto';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
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

/** A LocalKeyProvider that counts calls: stands in for KMS in core and HTTP tests. */
export class CountingKeyProvider extends LocalKeyProvider {
  generated = 0;
  decrypted = 0;
  rewrapped = 0;
  constructor(master = randomBytes(32), retired: Buffer[] = []) {
    super(master, retired);
  }
  override generateDataKey(...args: Parameters<LocalKeyProvider['generateDataKey']>) {
    this.generated += 1;
    return super.generateDataKey(...args);
  }
  override decryptDataKey(...args: Parameters<LocalKeyProvider['decryptDataKey']>) {
    this.decrypted += 1;
    return super.decryptDataKey(...args);
  }
  override rewrapDataKey(...args: Parameters<LocalKeyProvider['rewrapDataKey']>) {
    this.rewrapped += 1;
    return super.rewrapDataKey(...args);
  }
}

export const ADMIN = 'arn:aws:iam::111122223333:role/vault-admin';
