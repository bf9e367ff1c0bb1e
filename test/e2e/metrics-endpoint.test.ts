import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { addCredential } from '../../src/adapters/auth/credentials-file';
import { VaultClient } from '../../src/client/vault-client';
import { LOCAL_ADMIN } from '../../src/config';
import { type RunningVault, startServer } from '../../src/server';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { MemoryLogger } from '../support/memory-logger';

afterAll(stopDynamo);

/** Parses the text format: `name{labels} value` lines, comments skipped. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

describe('GET /metrics on the server', () => {
  let dir: string;
  let vault: RunningVault;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-metrics-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        rules: [
          { principals: [LOCAL_ADMIN], actions: ['write', 'read', 'metrics'], paths: ['*'] },
          { principals: ['arn:aws:iam::123456789012:role/reader'], actions: ['read'], paths: ['*'] },
        ],
      }),
    );
    vault = await startServer(
      { VAULT_DATA_DIR: join(dir, 'data'), PORT: '0', VAULT_POLICY_FILE: policyFile, VAULT_RELOAD_INTERVAL_MS: '20' },
      new MemoryLogger(),
    );
  });
  afterAll(async () => {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs a signature (401) and the metrics action (403), then serves Prometheus text', async () => {
    expect((await fetch(`${vault.url}/metrics`)).status).toBe(401);
    const reader = addCredential(vault.config.sigv4.credentialsFile, 'arn:aws:iam::123456789012:role/reader');
    const signed = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      new VaultClient({ endpoint: vault.url, region: 'us-east-1', credentials });
    const admin = signed(vault.credential);
    await admin.putSecret('apps/metrics/db', 'pw');
    for (let i = 0; i < 3; i++) await admin.getSecret('apps/metrics/db');
    await expect(admin.getSecret('apps/metrics/none')).rejects.toMatchObject({ status: 404 });
    // The server picks the new credential up within a few reload intervals.
    let denied = await signed(reader).request('GET', '/metrics');
    for (let i = 0; denied.status === 401 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      denied = await signed(reader).request('GET', '/metrics');
    }
    expect(denied.status).toBe(403);

    const res = await admin.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body as string;
    const all = samples(text);
    const requests = (route: string, method: string, status: string) =>
      all.find(
        (s) =>
          s.name === 'kms_vault_requests_total' &&
          s.labels.route === route &&
          s.labels.method === method &&
          s.labels.status === status,
      )?.value;
    expect(requests('/v1/secrets/{path}', 'GET', '200')).toBe(3);
    expect(requests('/v1/secrets/{path}', 'GET', '404')).toBe(1);
    expect(requests('/v1/secrets/{path}', 'PUT', '201')).toBe(1);
    expect(requests('/metrics', 'GET', '403')).toBe(1);
    // Identity is checked before routing, so a 401 has no route.
    expect(requests('unmatched', 'GET', '401')).toBeGreaterThanOrEqual(1);
    expect(all.find((s) => s.name === 'kms_vault_request_duration_seconds_count')?.value).toBeGreaterThan(0);
    const calls = (operation: string) =>
      all.find((s) => s.name === 'kms_vault_key_service_calls_total' && s.labels.operation === operation)?.value;
    expect(calls('generateDataKey')).toBe(1);
    // Three reads of one version: one unwrap, then the cache.
    expect(calls('decryptDataKey')).toBe(1);
    expect(all.find((s) => s.name === 'kms_vault_data_key_cache_hits_total')?.value).toBe(2);
    expect(all.find((s) => s.name === 'kms_vault_data_key_cache_misses_total')?.value).toBe(1);
    // Templates only: no path, no principal.
    expect(text).not.toContain('apps/metrics');
    expect(text).not.toContain('arn:aws');
  });
});

describe('request ids', () => {
  beforeAll(() => dynamo());

  it("logs a well-formed caller X-Request-Id beside the vault's own, and ignores a malformed one", async () => {
    const t = await testApp();
    const ok = await request(t.app).get('/healthz').set('x-request-id', 'client-7.trace:42');
    const bad = await request(t.app)
      .get('/healthz')
      .set('x-request-id', `x${'y'.repeat(200)}`);
    const lines = t.logger.records.filter((r) => r.type === 'request');
    expect(lines[0]).toMatchObject({ requestId: ok.headers['x-request-id'], callerRequestId: 'client-7.trace:42' });
    expect(ok.headers['x-request-id']).not.toBe('client-7.trace:42');
    expect(lines[1]!.requestId).toBe(bad.headers['x-request-id']);
    expect(lines[1]!.callerRequestId).toBeUndefined();
  });
});
