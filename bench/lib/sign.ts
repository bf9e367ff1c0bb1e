import { request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request autocannon can replay byte for byte. */
export interface PresignedRequest {
  method: 'GET' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Signs one request with SigV4 (service execute-api), the way `curl --aws-sigv4` or an AWS SDK
 * would. The signature stays valid for the verifier's 5-minute window, so the signed bytes can
 * be replayed for a whole load run. Content-Length is deliberately left unsigned: autocannon
 * writes its own, and a second, differently-cased copy would be a malformed request.
 */
export async function presign(
  baseUrl: string,
  credential: SigningCredential,
  region: string,
  method: 'GET' | 'PUT',
  path: string,
  body?: string,
): Promise<PresignedRequest> {
  const url = new URL(baseUrl);
  const signer = new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region,
    service: 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const headers: Record<string, string> = { host: url.host };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers,
      ...(body !== undefined && { body }),
    }),
  );
  return {
    method,
    path,
    headers: { ...(signed.headers as Record<string, string>) },
    ...(body !== undefined && { body }),
  };
}

/** One request over node:http (fetch refuses a caller-set Host header). Bounded by a timeout. */
export function send(
  baseUrl: string,
  req: PresignedRequest,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: url.hostname,
        port: Number(url.port),
        method: req.method,
        path: req.path,
        headers: req.headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path} timed out`)));
    r.on('error', reject);
    r.end(req.body);
  });
}
