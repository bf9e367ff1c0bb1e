import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeKms } from './fake-kms';

/** The HTTP front of the fake KMS: where an SDK configured with `endpoint` finds it. */
export interface FakeKmsServer {
  endpoint: string;
  close(): Promise<void>;
}

const BLOB_FIELDS = new Set(['CiphertextBlob', 'Plaintext', 'Message', 'Mac']);

/** JSON 1.1 in: blobs arrive base64-encoded. */
function fromWire(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [
      k,
      BLOB_FIELDS.has(k) && typeof v === 'string' ? Buffer.from(v, 'base64') : v,
    ]),
  );
}

/** JSON 1.1 out: blobs as base64, timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
}

/**
 * Serves the key core on 127.0.0.1 in KMS's JSON 1.1 protocol (`X-Amz-Target:
 * TrentService.<Operation>`), for code that carries its own SDK (the bundled Lambda handler),
 * which an in-process mock cannot reach. Each call is recorded with its Authorization header.
 */
export async function serveKms(kms: FakeKms): Promise<FakeKmsServer> {
  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST') throw Object.assign(new Error('POST only'), { name: 'UnknownOperationException' });
      const body = fromWire(JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>);
      const note = req.headers.authorization ? { authorization: req.headers.authorization } : {};
      reply(200, toWire(kms.invoke(operation, body, note)));
    } catch (error) {
      // A named exception (the core's, or one a test injected) goes out as KMS would send it; a
      // bug in the fake itself is an internal error, never mistaken for a refusal.
      const { name, message, $fault } = error as Error & { $fault?: string };
      const bug = name === 'Error' || error instanceof TypeError || error instanceof RangeError;
      if (bug) reply(500, { __type: 'KMSInternalException', message });
      else reply($fault === 'server' ? 500 : 400, { __type: name, message });
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
