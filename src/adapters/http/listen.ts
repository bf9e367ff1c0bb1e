import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/**
 * Serves `app` and resolves once bound. The server is made here rather than by express 5's
 * `app.listen(port, cb)`, which registers `cb` as the error listener too: a port in use would
 * call the success path.
 */
export function listen(app: Express, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` });
    });
  });
}
