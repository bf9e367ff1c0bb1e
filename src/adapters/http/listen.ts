import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';

/**
 * How long one connection may take. A client that trickles its headers or body is cut off
 * after these, so it cannot hold a connection (and its memory) for minutes; Node's defaults
 * are 60 s for headers and 5 minutes for a request.
 */
export interface ServerTimeouts {
  /** Until the last header line has arrived (answered 408). */
  headersTimeoutMs: number;
  /** Until the whole request, body included, has arrived (answered 408). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * Serves `app` and resolves once bound. The server is made here rather than by express 5's
 * `app.listen(port, cb)`, which registers `cb` as the error listener too: a port in use would
 * call the success path.
 */
export function listen(
  app: Express,
  port: number,
  host: string,
  timeouts: Partial<ServerTimeouts> = {},
): Promise<{ server: Server; url: string }> {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = { ...SERVER_TIMEOUTS, ...timeouts };
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks the two timeouts above on this interval (default 30 s): without it a
      // 10 s limit would really be up to 40 s.
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs, requestTimeoutMs),
    },
    app,
  );
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on('clientError', answerClientError);
  // Node answers an Expect other than 100-continue with a bare 417; give it the error body.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const { requestId, body } = errorBody('expectation_failed', 'only Expect: 100-continue is supported');
    res.writeHead(417, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Request-Id': requestId,
      Connection: 'close',
    });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` });
    });
  });
}

type ClientErrorAnswer = [status: number, reason: string, code: string, message: string];
const BAD_REQUEST: ClientErrorAnswer = [400, 'Bad Request', 'validation_error', 'malformed HTTP request'];
const CLIENT_ERRORS = new Map<string | undefined, ClientErrorAnswer>([
  [
    'HPE_HEADER_OVERFLOW',
    [431, 'Request Header Fields Too Large', 'too_large', 'request headers are larger than 16 KiB'],
  ],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', [413, 'Payload Too Large', 'too_large', 'chunk extensions are too large']],
  ['ERR_HTTP_REQUEST_TIMEOUT', [408, 'Request Timeout', 'request_timeout', 'the request was not received in time']],
]);

/**
 * Requests Node's HTTP parser refuses before express sees them (a control character in the
 * path, a conflicting Content-Length, headers over 16 KiB, a timeout) get the API's error body
 * like any other 4xx instead of Node's bare status line, then the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // As Node's own handler does: never write into a response already on its way (a pipelined
  // request can fail while the previous answer is being sent).
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || error.code === 'ECONNRESET' || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = CLIENT_ERRORS.get(error.code) ?? BAD_REQUEST;
  const { requestId, body } = errorBody(code, message);
  const response =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body;
  socket.end(response, () => socket.destroy());
}

/** The API's error body, for the answers Node gives before express runs. */
function errorBody(code: string, message: string): { requestId: string; body: string } {
  const requestId = randomUUID();
  return { requestId, body: JSON.stringify({ error: { code, message, requestId } }) };
}
