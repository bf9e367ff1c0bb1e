/**
 * The HTTP plumbing every stub exchange shares: a node:http server on loopback that hands each
 * request to the stub's handler. Signature checks live in each stub, written from that
 * exchange's docs; nothing here or there imports the vault's signers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  /** The query string exactly as received (without `?`), since exchanges verify what arrives. */
  rawQuery: string;
  /** Header names lowercased. */
  headers: Record<string, string | undefined>;
  remoteAddress: string;
  body: string;
}

export interface StubReply {
  status: number;
  /** JSON-serialised unless it is a string. */
  body: unknown;
  headers?: Record<string, string>;
}

/** Reply, or `'hang'` to accept the request and never answer. */
export type StubHandler = (request: StubRequest) => StubReply | 'hang';

export interface RunningStub {
  url: string;
  port: number;
  /** Requests the stub received, for tests that assert what was (or was not) sent. */
  requests: StubRequest[];
  close(): Promise<void>;
}

function header(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name] = Array.isArray(value) ? value.join(',') : value;
  return out;
}

export async function startStub(handler: StubHandler, port = 0): Promise<RunningStub> {
  const requests: StubRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: q === -1 ? raw : raw.slice(0, q),
        rawQuery: q === -1 ? '' : raw.slice(q + 1),
        headers: header(req),
        remoteAddress: req.socket.remoteAddress ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const reply = handler(request);
      if (reply === 'hang') return;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
        ...reply.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Hung requests hold their sockets open; close them too or close() never returns.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
