import type request from 'supertest';
import type { RawResponse } from './raw-http';

/** The response has `status` and the API's error body: `{"error":{"code","message","requestId"}}`. */
export function expectErrorBody(res: request.Response | RawResponse, status: number, code?: string): void {
  expect(res.status).toBe(status);
  const body = Buffer.isBuffer(res.body) ? JSON.parse(res.body.toString('utf8')) : res.body;
  expect(body.error).toEqual(
    expect.objectContaining({
      code: code ?? expect.any(String),
      message: expect.any(String),
      requestId: res.headers['x-request-id'] ?? expect.any(String),
    }),
  );
}
