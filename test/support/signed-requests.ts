import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credential } from '../../src/adapters/auth/credentials-file';
import { sigv4Authenticator } from '../../src/adapters/auth/sigv4-authenticator';
import type { SigV4VerifierOptions } from '../../src/adapters/auth/sigv4-verifier';
import { listen } from '../../src/adapters/http/listen';
import { testApp } from './app';
import { ADMIN } from './fakes';

export const CREDENTIAL: Credential = {
  accessKeyId: 'AKLVTESTKEY234567ABC',
  secretAccessKey: 'x8Jq3mZ0rT5vW2yB6nC9pD1fG4hK7lS0aE3iU6oQ',
  principal: ADMIN,
};

/** A vault behind the real SigV4 verifier, listening on loopback; close `server` when done. */
export async function signedVault(options: Partial<SigV4VerifierOptions> = {}) {
  const authenticate = sigv4Authenticator({
    lookup: (id) => (id === CREDENTIAL.accessKeyId ? CREDENTIAL : undefined),
    region: 'us-east-1',
    ...options,
  });
  const t = await testApp({ authenticate });
  const { server } = await listen(t.app, 0, '127.0.0.1');
  return { t, server: server as Server, port: (server.address() as AddressInfo).port };
}

/**
 * Signs as the AWS SDK does, over exactly `body` and `headers` (which name the host signed
 * for). Returns the headers to send, without Host: the raw client sends its own.
 */
export async function signedHeaders(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Array<[string, string]>> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'us-east-1',
    credentials: { accessKeyId: CREDENTIAL.accessKeyId, secretAccessKey: CREDENTIAL.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(new HttpRequest({ method, hostname: 'vault.test', path, headers, body }));
  return Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host');
}
