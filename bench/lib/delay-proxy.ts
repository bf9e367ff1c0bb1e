import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 that holds each request for `delayMs` after receiving it, then
 * forwards it to `target` and streams the answer back: a loopback stand-in given the latency
 * of a real service (KMS answers in roughly 5-20 ms inside a region).
 */
export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      setTimeout(() => {
        const forward = request(
          {
            host: upstream.hostname,
            port: Number(upstream.port),
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', (error) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`delay proxy: ${error.message}`);
        });
        forward.end(Buffer.concat(chunks));
      }, delayMs);
    });
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
