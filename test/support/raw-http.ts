import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  /** The request target exactly as it goes on the wire: nothing is encoded or checked. */
  target: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
  /** Content-Length to declare; default the body's length. */
  contentLength?: number;
  /** Send the body as one chunk of `Transfer-Encoding: chunked` instead of with a Content-Length. */
  chunked?: boolean;
}

/**
 * The bytes of one HTTP/1.1 request, built by hand so a test can send what no well-behaved
 * client would (control characters in the path, invalid UTF-8, a Content-Length with no body).
 * The head is Latin-1 (one byte per code point) unless it holds a code point above 255, in
 * which case it is UTF-8.
 */
export function requestBytes(req: RawRequest): Buffer {
  const body = req.body ?? Buffer.alloc(0);
  const lines = [`${req.method} ${req.target} HTTP/1.1`, 'Host: vault.test', 'Connection: close'];
  for (const [name, value] of req.headers ?? []) lines.push(`${name}: ${value}`);
  if (req.chunked) lines.push('Transfer-Encoding: chunked');
  else if (req.contentLength !== undefined || body.length > 0 || ['PUT', 'POST'].includes(req.method)) {
    lines.push(`Content-Length: ${req.contentLength ?? body.length}`);
  }
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  const wide = [...head].some((c) => c.codePointAt(0)! > 0xff);
  const payload = req.chunked
    ? Buffer.concat([
        Buffer.from(body.length > 0 ? `${body.length.toString(16)}\r\n` : ''),
        body,
        Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n'),
      ])
    : body;
  return Buffer.concat([Buffer.from(head, wide ? 'utf8' : 'latin1'), payload]);
}

/**
 * Sends raw bytes on a fresh connection and resolves with the first complete response. A reset
 * after a complete response still counts as that response: a server that refuses a body
 * without reading it closes the connection on the unread bytes.
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  options: { head?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`no complete response within ${timeoutMs} ms`))),
      timeoutMs,
    );
    const tryParse = (final: boolean, error?: Error) => {
      const parsed = parseResponse(received, options.head ?? false, final);
      if (parsed) settle(() => resolve(parsed));
      else if (final) {
        const got = JSON.stringify(received.subarray(0, 300).toString('latin1'));
        settle(() => reject(error ?? new Error(`incomplete response: ${got}`)));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('error', (error) => tryParse(true, error));
    socket.write(bytes);
  });
}

/** Sends one request built by {@link requestBytes}. */
export function send(port: number, req: RawRequest, timeoutMs?: number): Promise<RawResponse> {
  return sendRaw(port, requestBytes(req), {
    head: req.method === 'HEAD',
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
}

/**
 * A status line, headers and a body as long as Content-Length says (none for HEAD, 204 and
 * 304; without a length, whatever came before the connection closed), or undefined while
 * incomplete.
 */
export function parseResponse(raw: Buffer, head: boolean, closed: boolean): RawResponse | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split === -1) return undefined;
  const [statusLine = '', ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine);
  if (!match) return undefined;
  const status = Number(match[1]);
  // An interim answer (100 Continue) comes before the real one.
  if (status < 200) return parseResponse(raw.subarray(split + 4), head, closed);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  const rest = raw.subarray(split + 4);
  const declared = headers['content-length'];
  if (declared === undefined) return closed ? { status, headers, body: rest } : undefined;
  if (rest.length < Number(declared)) return undefined;
  return { status, headers, body: rest.subarray(0, Number(declared)) };
}
