import { VersionConflictError } from '../../src/core/errors';
import type { Envelope, ListPage, ListQuery, SecretHead, SecretMetadata, SecretStore } from '../../src/core/ports';

/** Deep copy that keeps Buffers as Buffers (structuredClone turns them into Uint8Arrays). */
const clone = <T>(value: T): T =>
  Buffer.isBuffer(value)
    ? (Buffer.from(value) as T)
    : Array.isArray(value)
      ? (value.map(clone) as T)
      : value && typeof value === 'object'
        ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T)
        : value;

/**
 * A hand-written SecretStore for fast core tests. It keeps the same conditional-write
 * semantics as DynamoDB (checked by the shared contract suite), and counts writes.
 */
export class MemorySecretStore implements SecretStore {
  readonly heads = new Map<string, SecretHead>();
  readonly versions = new Map<string, Envelope | 'erased'>();
  writes = 0;
  reads = 0;

  async getHead(path: string) {
    this.reads += 1;
    const head = this.heads.get(path);
    return head && clone(head);
  }
  async createHead(head: SecretHead) {
    this.writes += 1;
    if (this.heads.has(head.path)) throw new VersionConflictError();
    this.heads.set(head.path, clone(head));
  }
  async replaceHead(head: SecretHead, expectedRev: number) {
    this.writes += 1;
    if (this.heads.get(head.path)?.rev !== expectedRev) throw new VersionConflictError();
    this.heads.set(head.path, clone(head));
  }
  async deleteHead(path: string, expectedRev: number) {
    this.writes += 1;
    if (this.heads.get(path)?.rev !== expectedRev) throw new VersionConflictError();
    this.heads.delete(path);
  }
  async putVersion(path: string, version: number, envelope: Envelope) {
    this.writes += 1;
    const id = `${path}#${version}`;
    if (this.versions.has(id)) return false;
    this.versions.set(id, clone(envelope));
    return true;
  }
  async getVersion(path: string, version: number) {
    this.reads += 1;
    const stored = this.versions.get(`${path}#${version}`);
    return stored && stored !== 'erased' ? clone(stored) : undefined;
  }
  async replaceVersionEnvelope(path: string, version: number, envelope: Envelope, expectedEdk: Buffer) {
    this.writes += 1;
    const stored = this.versions.get(`${path}#${version}`);
    if (!stored || stored === 'erased' || !Buffer.from(stored.edk).equals(expectedEdk))
      throw new VersionConflictError();
    this.versions.set(`${path}#${version}`, clone(envelope));
  }
  async eraseVersion(path: string, version: number) {
    this.writes += 1;
    this.versions.set(`${path}#${version}`, 'erased');
  }
  async removeVersion(path: string, version: number) {
    this.writes += 1;
    this.versions.delete(`${path}#${version}`);
  }
  async listVersionItems(path: string) {
    return [...this.versions.keys()]
      .filter((id) => id.startsWith(`${path}#`))
      .map((id) => Number(id.slice(path.length + 1)))
      .sort((a, b) => a - b);
  }
  listCalls = 0;

  async findByKeyIndex(keyIndex: string) {
    this.reads += 1;
    return [...this.heads.values()].filter((h) => h.keyIndex === keyIndex).map((h) => h.path);
  }

  cursorAfter(item: SecretMetadata, query: ListQuery): string {
    return String(this.matching(query).findIndex((h) => h.path === item.path) + 1);
  }

  private matching(query: ListQuery): SecretHead[] {
    const byDue = query.order === 'due';
    const due = query.rotationDueBefore;
    return [...this.heads.values()]
      .filter((h) => h.path.startsWith(query.prefix) && (due === undefined || h.rotationDueAt <= due))
      .filter((h) => !query.flaggedOnly || (h.exchangeKey?.flagged?.length ?? 0) > 0)
      .sort((a, b) =>
        byDue
          ? a.rotationDueAt.localeCompare(b.rotationDueAt) || a.path.localeCompare(b.path)
          : a.path < b.path
            ? -1
            : 1,
      );
  }

  async list(query: ListQuery): Promise<ListPage> {
    this.reads += 1;
    this.listCalls += 1;
    const sorted = this.matching(query);
    const start = query.cursor ? Number(query.cursor) : 0;
    const items = sorted
      .slice(start, start + query.limit)
      .map(({ envelope: _e, keyIndex: _k, ...meta }) => clone(meta));
    const page: ListPage = { items };
    if (start + query.limit < sorted.length) page.cursor = String(start + query.limit);
    return page;
  }
}
