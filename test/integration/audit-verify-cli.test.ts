import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CHAIN_INDEX } from '../../src/adapters/dynamodb/audit-table';
import { startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { auditVerifyCommand } from '../../src/cli/audit-verify/command';
import { compose } from '../../src/composition/compose';
import { LOCAL_ADMIN, loadConfig } from '../../src/config';
import { MemoryLogger } from '../support/memory-logger';

/** Output as a terminal or a log file would receive it. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kms-vault-verify-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = async (env: NodeJS.ProcessEnv, ...argv: string[]) => {
  const out = new Capture();
  const err = new Capture();
  // A minute on: verify leaves checkpoints younger than 10 s for its next run (index lag).
  const code = await auditVerifyCommand(argv, env, out, err, () => new Date(Date.now() + 60_000));
  return { code, out: out.text, err: err.text };
};

describe('npm run audit-verify (embedded mode, on disk)', () => {
  it('reports a clean trail, then the record someone deleted; refuses to run without a durable trail', async () => {
    // Two days of retention: verify then reads 4 day partitions for chains, not 402.
    const env = { VAULT_DATA_DIR: dir, VAULT_AUDIT: 'durable', VAULT_AUDIT_RETENTION_DAYS: '2' };
    const logger = new MemoryLogger();
    const composed = await compose(loadConfig(env), { logger });
    const caller = { principal: LOCAL_ADMIN, requestId: 'cli-test' };
    await composed.vault.put(caller, 'exchange-keys/u-1/okx', { value: { secretKey: 'CANARY-cli' } });
    for (let i = 0; i < 4; i++) await composed.vault.get({ ...caller, purpose: `check ${i}` }, 'exchange-keys/u-1/okx');
    const chain = composed.chain!.chain;
    await composed.close();
    // The final checkpoint also went to the log: a copy outside the table.
    expect(logger.records.filter((r) => r.type === 'audit-checkpoint')).toEqual([
      expect.objectContaining({ chain, n: 1, upto: 5, mac: expect.any(String) }),
    ]);

    const clean = await run(env);
    expect(clean).toMatchObject({ code: 0, err: '' });
    expect(clean.out).toContain(
      `chain ${chain}: 5 records read, last seq 5, 1 checkpoint verified, covered through seq 5`,
    );
    expect(clean.out).toContain('no record altered or removed');
    const byPath = await run(env, '--path', 'exchange-keys/u-1/okx', '--json');
    expect(JSON.parse(byPath.out)).toMatchObject({ path: { records: 5 }, findings: [] });

    // Someone with the store deletes the third record.
    const store = await startDynalite({ path: join(dir, 'dynamodb') });
    const found = await store.client.send(
      new QueryCommand({
        TableName: 'kms-vault-audit',
        IndexName: CHAIN_INDEX,
        KeyConditionExpression: 'cs = :cs AND #seq = :seq',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':cs': { S: `${chain}#3` }, ':seq': { N: '3' } },
      }),
    );
    const item = found.Items![0]!;
    await store.client.send(
      new DeleteItemCommand({ TableName: 'kms-vault-audit', Key: { pk: item.pk!, sk: item.sk! } }),
    );
    await store.close();
    const tampered = await run(env);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/FINDINGS: removed 1/);
    expect(tampered.out).toContain(`REMOVED chain ${chain} seq 3: record 3 is missing`);
    for (const output of [clean.out, tampered.out, byPath.out]) expect(output).not.toContain('CANARY-cli');

    expect(await run({ VAULT_DATA_DIR: dir })).toMatchObject({
      code: 2,
      err: expect.stringMatching(/VAULT_AUDIT=log/),
    });
    expect(await run(env, '--since', 'yesterday')).toMatchObject({ code: 2 });
    expect(await run(env, '--path', '../x')).toMatchObject({ code: 2 });
  });
});
