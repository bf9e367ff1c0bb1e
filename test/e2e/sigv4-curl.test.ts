import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Credential } from '../../src/adapters/auth/credentials-file';
import { verifySigV4 } from '../../src/adapters/auth/sigv4-verifier';
import type { AuthenticationError } from '../../src/core/errors';
import { requireCurl } from '../support/curl';

const PRINCIPAL = 'arn:aws:iam::123456789012:role/payments';

describe('verifySigV4 against the real curl --aws-sigv4', () => {
  const CURL_KEY: Credential = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'curl-secret-value',
    principal: PRINCIPAL,
  };
  let server: Server;
  let port: number;
  const outcomes: string[] = [];

  beforeAll(async () => {
    requireCurl();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        try {
          const { principal } = verifySigV4(
            {
              method: req.method ?? '',
              path: q === -1 ? url : url.slice(0, q),
              query: q === -1 ? '' : url.slice(q + 1),
              headers: req.headers,
              body: Buffer.concat(chunks),
            },
            { lookup: (id) => (id === CURL_KEY.accessKeyId ? CURL_KEY : undefined), region: 'us-east-1' },
          );
          outcomes.push(`ok ${principal}`);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ principal }));
        } catch (error) {
          outcomes.push(`refused ${(error as AuthenticationError).reason}`);
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  beforeEach(() => {
    outcomes.length = 0;
  });

  const curl = (secret: string, pathAndQuery: string) =>
    promisify(execFile)('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      `${CURL_KEY.accessKeyId}:${secret}`,
      '-X',
      'PUT',
      '-H',
      'content-type: application/json',
      '--data',
      '{"value":"x"}',
      `http://127.0.0.1:${port}${pathAndQuery}`,
    ]);

  it('verifies a PUT signed by curl', async () => {
    expect((await curl(CURL_KEY.secretAccessKey, '/v1/secrets/a/b')).stdout).toBe('200');
    expect(outcomes).toEqual([`ok ${PRINCIPAL}`]);
  });

  it('verifies curl with a query, however curl canonicalises it', async () => {
    expect((await curl(CURL_KEY.secretAccessKey, '/v1/secrets/a/b?z=1&a=2&prefix=x/y')).stdout).toBe('200');
    expect(outcomes).toEqual([`ok ${PRINCIPAL}`]);
  });

  it('refuses curl with the wrong secret', async () => {
    expect((await curl('not-the-secret', '/v1/secrets/a/b')).stdout).toBe('401');
    expect(outcomes).toEqual(['refused signature mismatch']);
  });
});
