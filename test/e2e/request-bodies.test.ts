import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { errorMiddleware } from '../../src/adapters/http/errors';
import { listen } from '../../src/adapters/http/listen';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';
import { ADMIN } from '../support/fakes';
import { MemoryLogger } from '../support/memory-logger';
import { send, sendRaw } from '../support/raw-http';
import { signedHeaders, signedVault } from '../support/signed-requests';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const TARGET = '/v1/secrets/exchange-keys/user-1842/binance-main';

describe('compressed bodies are refused with 415 before the body is read, signed or unsigned', () => {
  const json = Buffer.from(JSON.stringify({ value: 'compressed' }));
  const encodings: Array<[string, Buffer]> = [
    ['gzip', gzipSync(json)],
    ['deflate', deflateSync(json)],
    ['br', brotliCompressSync(json)],
    ['GZip', gzipSync(json)],
    ['gzip, identity', gzipSync(json)],
    ['x-unknown', json],
  ];

  it.each(encodings)('Content-Encoding: %s', async (encoding, compressed) => {
    const { t, server, port } = await signedVault();
    try {
      const base = { 'content-type': 'application/json', 'content-encoding': encoding, host: 'vault.test' };
      const attempts = [
        { name: 'unsigned', headers: Object.entries(base), body: compressed },
        // signed over the bytes sent, as a signer that follows the spec does
        { name: 'signed as sent', headers: await signedHeaders('PUT', TARGET, base, compressed), body: compressed },
        // signed over the decompressed body, which decompressing before identity used to accept
        { name: 'signed decompressed', headers: await signedHeaders('PUT', TARGET, base, json), body: compressed },
      ];
      for (const { name, headers, body } of attempts) {
        const res = await send(port, { method: 'PUT', target: TARGET, headers, body });
        expect([name, res.status]).toEqual([name, 415]);
        expectErrorBody(res, 415, 'unsupported_media_type');
      }
      expect(await t.scan()).toEqual([]);
      expect(t.logger.records.filter((r) => r.type === 'error')).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('Content-Encoding: identity is an uncompressed body, and accepted', async () => {
    const { server, port } = await signedVault();
    try {
      const base = { 'content-type': 'application/json', 'content-encoding': 'identity', host: 'vault.test' };
      const headers = await signedHeaders('PUT', TARGET, base, json);
      expect((await send(port, { method: 'PUT', target: TARGET, headers, body: json })).status).toBe(201);
    } finally {
      server.close();
    }
  });
});

describe('a body over 64 KiB is refused with 413; a declared one at once', () => {
  it('answers a 1 GB Content-Length within a second, without waiting for the body', async () => {
    const t = await testApp();
    const { server } = await listen(t.app, 0, '127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      const head = Buffer.from(
        `PUT ${TARGET} HTTP/1.1\r\nHost: vault.test\r\nx-test-principal: ${ADMIN}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n',
      );
      const started = performance.now();
      // Headers only: the socket stays open with the whole body still owed.
      const res = await sendRaw(port, head, { timeoutMs: 5000 });
      expect(performance.now() - started).toBeLessThan(1000);
      expectErrorBody(res, 413, 'too_large');
      expect(res.headers.connection).toBe('close');
    } finally {
      server.close();
    }
  });

  it('answers 413 without identity too, and to bodies just over the limit, sized or chunked', async () => {
    const t = await testApp();
    const { server } = await listen(t.app, 0, '127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      expectErrorBody(await send(port, { method: 'PUT', target: TARGET, contentLength: 64 * 1024 + 1 }), 413);
      const body = Buffer.alloc(64 * 1024 + 1, 0x20);
      const headers: Array<[string, string]> = [['x-test-principal', ADMIN]];
      expectErrorBody(await send(port, { method: 'PUT', target: TARGET, headers, body }), 413, 'too_large');
      expectErrorBody(
        await send(port, { method: 'PUT', target: TARGET, headers, body, chunked: true }),
        413,
        'too_large',
      );
      expect(await t.scan()).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('every error the HTTP stack marks as the client fault is a 4xx, never a 500', () => {
  const stackError = (status: number, type?: string) => Object.assign(new Error('quotes the body'), { status, type });
  it.each([
    ['body-parser: entity.too.large', stackError(413, 'entity.too.large'), 413, 'too_large'],
    ['body-parser: encoding.unsupported', stackError(415, 'encoding.unsupported'), 415, 'unsupported_media_type'],
    ['body-parser: request.aborted', stackError(400, 'request.aborted'), 400, 'validation_error'],
    ['body-parser: request.size.invalid', stackError(400, 'request.size.invalid'), 400, 'validation_error'],
    [
      'a zlib error wrapped as 400',
      Object.assign(new Error('incorrect header check'), { status: 400, code: 'Z_DATA_ERROR' }),
      400,
      'validation_error',
    ],
    [
      'the router: URIError with status 400',
      Object.assign(new URIError("Failed to decode param '%ff'"), { status: 400 }),
      400,
      'validation_error',
    ],
    ['anything else', new Error('boom'), 500, 'internal'],
  ])('%s', async (_name, error, status, code) => {
    const app = express();
    app.get('/', () => {
      throw error;
    });
    app.use(errorMiddleware(new MemoryLogger()));
    const res = await request(app).get('/');
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/quotes the body|%ff|incorrect header/);
  });
});
