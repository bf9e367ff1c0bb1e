/**
 * Child process: the real server (`startServer` from src/server.ts) in AWS mode, its DynamoDB
 * a dynalite and its KMS the fake KMS of test/deploy (the KMS JSON protocol over HTTP), both
 * in this process on loopback. Every call the vault makes to either is counted on the wire,
 * from node:diagnostics_channel events of their HTTP servers, so the count holds whatever
 * client code src/ uses and needs no hook in it. Each call is also marked as on the caller's
 * path (its response finished before the vault's response did) or not (work the vault left
 * running after answering). Request logs go to a no-op logger.
 *
 * Questions (see lib/child.ts): `reset` forgets what was counted; `calls` answers the calls
 * since the last reset, how many are still in flight, and the vault responses seen.
 */
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAuditTableName, ensureAuditTable } from '../../src/adapters/dynamodb/audit-table';
import { startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../../src/adapters/dynamodb/table';
import { LOCAL_ADMIN } from '../../src/config';
import { ACTIONS } from '../../src/core/policy';
import { startServer } from '../../src/server';
import { FakeKms } from '../../test/support/fake-kms';
import { serveKms } from '../../test/support/fake-kms-server';
import { reportStartFailure, serveUntilStopped } from '../lib/child';

export interface CountedVaultServerInfo {
  url: string;
  region: string;
  credential: { accessKeyId: string; secretAccessKey: string; principal: string };
  maxVersions: number;
}

export interface CountedCall {
  /** `trail`: a DynamoDB call on the access trail's table; `dynamodb`: on the secrets table. */
  service: 'dynamodb' | 'trail' | 'kms';
  operation: string;
  /** Order in which its response finished; undefined while in flight. */
  finished?: number;
}

export interface VaultResponse {
  method: string;
  status: number;
  finished: number;
}

export interface CallsAnswer {
  calls: CountedCall[];
  inFlight: number;
  responses: VaultResponse[];
}

interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
}

const TABLE = 'kms-vault-bench-calls';
const REGION = 'us-east-1';

async function main(): Promise<void> {
  const dynamo = await startDynalite({ listen: 'tcp' });
  await ensureTable(dynamo.client, TABLE);
  // AWS mode keeps the durable access trail (VAULT_AUDIT=durable by default): its calls are
  // counted apart from the secrets table's, since the write budget is about the latter.
  const trailTable = defaultAuditTableName(TABLE);
  await ensureAuditTable(dynamo.client, trailTable);
  const fakeKms = new FakeKms({ region: REGION });
  const keyArn = fakeKms.createKey();
  const macKeyArn = fakeKms.createKey();
  const kms = await serveKms(fakeKms);
  const services = new Map<number, CountedCall['service']>([
    [Number(new URL(dynamo.endpoint!).port), 'dynamodb'],
    [Number(new URL(kms.endpoint).port), 'kms'],
  ]);
  let vaultPort = -1;
  let order = 0;
  let calls: CountedCall[] = [];
  let responses: VaultResponse[] = [];
  const open = new WeakMap<ServerResponse, CountedCall>();

  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as ServerMessage;
    const service = services.get(request.socket.localPort ?? -1);
    if (!service) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    const call: CountedCall = { service, operation: target.slice(target.indexOf('.') + 1) || 'unknown' };
    calls.push(call);
    open.set(response, call);
    if (service !== 'dynamodb') return;
    // Which table: read from the request body alongside dynalite (both 'data' listeners see
    // every chunk; dynalite attaches its own in the same tick, before the stream flows).
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { TableName?: string };
        if (body.TableName === trailTable) call.service = 'trail';
      } catch {
        // not JSON: left as a secrets-table call
      }
    });
  });
  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as ServerMessage;
    const port = request.socket.localPort ?? -1;
    if (services.has(port)) {
      const call = open.get(response);
      if (call) call.finished = ++order;
    } else if (port === vaultPort) {
      responses.push({ method: request.method ?? '', status: response.statusCode, finished: ++order });
    }
  });

  // The SDK reads endpoints and credentials from the process environment, not from the env
  // startServer gets; nothing may come from the user's ~/.aws.
  const dataDir = mkdtempSync(join(tmpdir(), 'kms-vault-bench-calls-'));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint!,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_CONFIG_FILE: join(dataDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-aws-credentials'),
  });
  const vault = await startServer(
    {
      ...process.env,
      PORT: '0',
      AWS_REGION: REGION,
      VAULT_DATA_DIR: dataDir,
      VAULT_KMS_KEY_ID: keyArn,
      VAULT_KMS_MAC_KEY_ID: macKeyArn,
      VAULT_TABLE_NAME: TABLE,
      // Count-only retention, so that the writes past VAULT_MAX_VERSIONS really drop a version
      // (by default retention spares versions younger than 24 hours, and all of these are).
      VAULT_RETENTION_MIN_AGE_HOURS: '0',
      VAULT_POLICY: JSON.stringify({ rules: [{ principals: [LOCAL_ADMIN], actions: [...ACTIONS], paths: ['*'] }] }),
    },
    { write() {} },
  );
  vaultPort = Number(new URL(vault.url).port);
  const { accessKeyId, secretAccessKey, principal } = vault.credential;
  serveUntilStopped<CountedVaultServerInfo>(
    {
      url: vault.url,
      region: vault.config.sigv4.region,
      credential: { accessKeyId, secretAccessKey, principal },
      maxVersions: vault.config.vault.maxVersions,
    },
    async () => {
      await vault.close();
      await kms.close();
      await dynamo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    {
      answer: (question) => {
        if (question.type === 'reset') {
          calls = [];
          responses = [];
          return true;
        }
        if (question.type === 'calls')
          return {
            calls,
            inFlight: calls.filter((c) => c.finished === undefined).length,
            responses,
          } satisfies CallsAnswer;
        throw new Error(`unknown question '${question.type}'`);
      },
    },
  );
}

main().catch(reportStartFailure);
