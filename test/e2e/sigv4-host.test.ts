import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';
import { send } from '../support/raw-http';
import { signedHeaders, signedVault } from '../support/signed-requests';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const TARGET = '/v1/secrets/exchange-keys/user-1842/binance-main';
const BODY = Buffer.from(JSON.stringify({ value: 'x' }));

/** A PUT signed for `host`; the raw client sends `Host: vault.test`, so the two must agree to verify. */
async function put(port: number, host: string) {
  const headers = await signedHeaders('PUT', TARGET, { 'content-type': 'application/json', host }, BODY);
  return send(port, { method: 'PUT', target: TARGET, headers, body: BODY });
}

describe('VAULT_SIGV4_HOST: a request signed for another host is 401', () => {
  it('accepts a request signed for the configured host', async () => {
    const { server, port } = await signedVault({ host: 'vault.test' });
    try {
      expect((await put(port, 'vault.test')).status).toBe(201);
    } finally {
      server.close();
    }
  });

  it('refuses a valid signature over another host', async () => {
    const { t, server, port } = await signedVault({ host: 'vault.internal' });
    try {
      expectErrorBody(await put(port, 'vault.test'), 401, 'unauthenticated');
      expect(await t.scan()).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('without the setting, any signed host verifies (as before)', async () => {
    const { server, port } = await signedVault();
    try {
      expect((await put(port, 'vault.test')).status).toBe(201);
    } finally {
      server.close();
    }
  });
});
