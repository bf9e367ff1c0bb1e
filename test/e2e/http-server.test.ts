import type { AddressInfo } from 'node:net';
import { listen, SERVER_TIMEOUTS } from '../../src/adapters/http/listen';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';
import { ADMIN } from '../support/fakes';
import { send, sendRaw } from '../support/raw-http';

afterAll(stopDynamo);
beforeAll(() => dynamo());

async function served(timeouts: Parameters<typeof listen>[3] = {}) {
  const t = await testApp();
  const { server } = await listen(t.app, 0, '127.0.0.1', timeouts);
  return { t, server, port: (server.address() as AddressInfo).port };
}

describe('requests Node itself refuses still get the error body', () => {
  it.each([
    ['a control character in the path', 'GET /v1/secrets/a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a Latin-1 byte in the path', 'GET /v1/secrets/a\u00adb HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a space in the path', 'GET /v1/secrets/a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown method', 'FOO /v1/secrets/a HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    [
      'two Content-Lengths',
      'PUT /v1/secrets/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      400,
    ],
    ['headers over 16 KiB', `GET /v1/secrets/a HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an Expect other than 100-continue', 'GET /v1/secrets/a HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n', 417],
  ])('%s', async (_name, raw, status) => {
    const { server, port } = await served();
    try {
      expectErrorBody(await sendRaw(port, Buffer.from(raw, 'latin1')), status);
    } finally {
      server.close();
    }
  });
});

describe('a slow client cannot hold a connection for minutes', () => {
  it('the server has header, request and keep-alive timeouts', async () => {
    const { server } = await served();
    try {
      expect(SERVER_TIMEOUTS).toEqual({
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5_000,
      });
      expect(server.headersTimeout).toBe(10_000);
      expect(server.requestTimeout).toBe(30_000);
      expect(server.keepAliveTimeout).toBe(5_000);
    } finally {
      server.close();
    }
  });

  it('answers 408 and closes when the headers never finish', async () => {
    const { server, port } = await served({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    try {
      const res = await sendRaw(port, Buffer.from('GET /v1/secrets/a HTTP/1.1\r\nHost: x\r\n'));
      expectErrorBody(res, 408, 'request_timeout');
    } finally {
      server.close();
    }
  });

  it('answers 408 and closes when the body stops short of its Content-Length', async () => {
    const { t, server, port } = await served({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    try {
      const res = await send(port, {
        method: 'PUT',
        target: '/v1/secrets/a',
        headers: [
          ['x-test-principal', ADMIN],
          ['content-type', 'application/json'],
        ],
        body: Buffer.from('{"value":'),
        contentLength: 100,
      });
      expectErrorBody(res, 408, 'request_timeout');
      expect(t.logger.records.filter((r) => r.type === 'error')).toEqual([]);
      expect(await t.scan()).toEqual([]);
    } finally {
      server.close();
    }
  });
});
