import { ConfigError, loadConfig } from '../../src/config';

const ROLE = 'arn:aws:iam::123456789012:role/user-api';

describe('config', () => {
  it('defaults to embedded mode on loopback with documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'embedded',
      host: '127.0.0.1',
      port: 8080,
      dataDir: '.vault',
      vault: { maxVersions: 10, rotationDays: 30 },
      keyCache: { maxAgeSeconds: 300, maxEntries: 1000 },
      sigv4: { service: 'execute-api', region: 'us-east-1' },
    });
  });
  it.each([
    [{ VAULT_MAX_VERSIONS: '0' }, /VAULT_MAX_VERSIONS/],
    [{ VAULT_MAX_VERSIONS: '101' }, /VAULT_MAX_VERSIONS/],
    [{ VAULT_KEY_CACHE_MAX_AGE_SECONDS: '-1' }, /VAULT_KEY_CACHE_MAX_AGE_SECONDS/],
    [{ VAULT_ALLOW_REMOTE: 'maybe' }, /VAULT_ALLOW_REMOTE/],
    [{ VAULT_KMS_KEY_ID: 'alias/x' }, /go together/],
    [{ VAULT_HOST: '0.0.0.0' }, /not loopback/],
    [{ VAULT_MAX_VERSION: '3' }, /unknown settings: VAULT_MAX_VERSION/],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f' }, /VAULT_KMS_KEY_ID and VAULT_TABLE_NAME are required/],
    [
      { AWS_LAMBDA_FUNCTION_NAME: 'f', VAULT_KMS_KEY_ID: 'k', VAULT_KMS_MAC_KEY_ID: 'm', VAULT_TABLE_NAME: 'tbl' },
      /VAULT_POLICY/,
    ],
    [
      {
        AWS_LAMBDA_FUNCTION_NAME: 'f',
        VAULT_KMS_KEY_ID: 'k',
        VAULT_KMS_MAC_KEY_ID: 'm',
        VAULT_TABLE_NAME: 'tbl',
        VAULT_POLICY: '{"rules":[]}',
        VAULT_CREDENTIALS_FILE: '/x',
      },
      /VAULT_CREDENTIALS_FILE is refused/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
  it('parses booleans as words, not truthiness', () => {
    expect(loadConfig({ VAULT_HOST: '0.0.0.0', VAULT_ALLOW_REMOTE: 'true' })).toMatchObject({ host: '0.0.0.0' });
    expect(() => loadConfig({ VAULT_HOST: '0.0.0.0', VAULT_ALLOW_REMOTE: 'false' })).toThrow(/not loopback/);
  });
  it('VAULT_SIGV4_HOST: optional, a host with an optional port, kept in lower case', () => {
    expect(loadConfig({})).toMatchObject({ sigv4: expect.not.objectContaining({ host: expect.anything() }) });
    expect(loadConfig({ VAULT_SIGV4_HOST: 'Vault.Example.com' })).toMatchObject({
      sigv4: { host: 'vault.example.com' },
    });
    expect(loadConfig({ VAULT_SIGV4_HOST: '127.0.0.1:8080' })).toMatchObject({ sigv4: { host: '127.0.0.1:8080' } });
    expect(loadConfig({ VAULT_SIGV4_HOST: '[::1]:8080' })).toMatchObject({ sigv4: { host: '[::1]:8080' } });
    for (const bad of ['', 'https://vault.example.com', 'vault.example.com/', 'a b', 'host:port']) {
      expect(() => loadConfig({ VAULT_SIGV4_HOST: bad })).toThrow(/VAULT_SIGV4_HOST/);
    }
  });
  it('selects AWS mode with both KMS key and table', () => {
    expect(
      loadConfig({
        VAULT_KMS_KEY_ID: 'alias/vault',
        VAULT_KMS_MAC_KEY_ID: 'alias/vault-mac',
        VAULT_TABLE_NAME: 'kms-vault-prod',
        AWS_REGION: 'eu-west-1',
        VAULT_POLICY: '{"rules":[]}',
      }),
    ).toMatchObject({ mode: 'aws', kmsKeyId: 'alias/vault', tableName: 'kms-vault-prod', region: 'eu-west-1' });
  });
  it('refuses a malformed policy at start-up, naming the rule', () => {
    const env = {
      VAULT_POLICY: JSON.stringify({
        rules: [
          { principals: [ROLE], actions: ['read'], paths: ['ok'] },
          { principals: [ROLE], actions: ['fly'], paths: ['ok'] },
        ],
      }),
    };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/rule 1/);
    expect(() => loadConfig({ VAULT_POLICY: '{not json' })).toThrow(/not valid JSON/);
  });
});

const AWS = {
  VAULT_KMS_KEY_ID: 'alias/vault',
  VAULT_KMS_MAC_KEY_ID: 'alias/vault-mac',
  VAULT_TABLE_NAME: 'kms-vault-prod',
};
const POLICY = { VAULT_POLICY: '{"rules":[]}' };
const OLD_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001';

describe('settings added by the hardening', () => {
  it('AWS mode outside Lambda refuses to start without a policy (the local admin does not exist in AWS)', () => {
    expect(() => loadConfig(AWS)).toThrow(/in AWS mode, VAULT_POLICY or VAULT_POLICY_FILE is required/);
    expect(loadConfig({ ...AWS, ...POLICY })).toMatchObject({ mode: 'aws' });
  });

  it('previous KMS keys are a comma-separated list of key ARNs, for AWS mode only', () => {
    expect(loadConfig({ ...AWS, ...POLICY, VAULT_KMS_PREVIOUS_KEY_IDS: ` ${OLD_KEY} ,` })).toMatchObject({
      previousKmsKeyIds: [OLD_KEY],
    });
    expect(loadConfig({ ...AWS, ...POLICY })).toMatchObject({ previousKmsKeyIds: [] });
    expect(() => loadConfig({ ...AWS, ...POLICY, VAULT_KMS_PREVIOUS_KEY_IDS: 'alias/old' })).toThrow(
      /VAULT_KMS_PREVIOUS_KEY_IDS.*KMS key ARN/,
    );
    expect(() => loadConfig({ VAULT_KMS_PREVIOUS_KEY_IDS: OLD_KEY })).toThrow(/for AWS mode/);
  });

  it('retention keeps young versions for 24 h by default, under a ceiling of 100', () => {
    expect(loadConfig({}).vault).toMatchObject({ retentionMinAgeHours: 24, versionCeiling: 100, maxVersions: 10 });
    expect(loadConfig({ VAULT_RETENTION_MIN_AGE_HOURS: '0' }).vault.retentionMinAgeHours).toBe(0);
    expect(() => loadConfig({ VAULT_MAX_VERSIONS: '20', VAULT_VERSION_CEILING: '15' })).toThrow(
      /VAULT_VERSION_CEILING must be at least VAULT_MAX_VERSIONS/,
    );
  });

  it('the operator principal is a setting like any other: parsed, normalised, refused when malformed', () => {
    expect(loadConfig({}).operatorPrincipal).toBe('arn:aws:iam::000000000000:user/vault-admin');
    expect(
      loadConfig({ VAULT_OPERATOR_PRINCIPAL: 'arn:aws:sts::123456789012:assumed-role/ops/alice' }).operatorPrincipal,
    ).toBe('arn:aws:iam::123456789012:role/ops');
    expect(() => loadConfig({ VAULT_OPERATOR_PRINCIPAL: 'alice' })).toThrow(/VAULT_OPERATOR_PRINCIPAL/);
  });

  it('AWS mode needs a KMS HMAC key for keyed MACs; embedded mode keeps its own', () => {
    const { VAULT_KMS_MAC_KEY_ID: _mac, ...withoutMac } = AWS;
    expect(() => loadConfig({ ...withoutMac, ...POLICY })).toThrow(/VAULT_KMS_MAC_KEY_ID is required/);
    expect(loadConfig({ ...AWS, ...POLICY })).toMatchObject({ macKeyId: 'alias/vault-mac' });
    expect(() => loadConfig({ VAULT_KMS_MAC_KEY_ID: 'alias/x' })).toThrow(/VAULT_KMS_MAC_KEY_ID is for AWS mode/);
  });

  it('the access trail is durable in AWS mode and on Lambda, stdout-only in embedded mode, in <table>-audit', () => {
    expect(loadConfig({}).audit).toEqual({
      mode: 'log',
      tableName: 'kms-vault-audit',
      retentionDays: 400,
      checkpointRecords: 1000,
      checkpointSeconds: 60,
    });
    expect(loadConfig({ VAULT_AUDIT: 'durable' }).audit.mode).toBe('durable');
    expect(loadConfig({ ...AWS, ...POLICY }).audit).toMatchObject({
      mode: 'durable',
      tableName: `${AWS.VAULT_TABLE_NAME}-audit`,
    });
    expect(loadConfig({ ...AWS, ...POLICY, AWS_LAMBDA_FUNCTION_NAME: 'f' }).audit.mode).toBe('durable');
    expect(loadConfig({ ...AWS, ...POLICY, VAULT_AUDIT: 'log' }).audit.mode).toBe('log');
    expect(
      loadConfig({ ...AWS, ...POLICY, VAULT_AUDIT_TABLE_NAME: 'trail', VAULT_AUDIT_RETENTION_DAYS: '30' }).audit,
    ).toMatchObject({ tableName: 'trail', retentionDays: 30 });
  });

  it.each([
    [{ VAULT_AUDIT: 'off' }, /VAULT_AUDIT/],
    [{ VAULT_AUDIT_RETENTION_DAYS: '0' }, /VAULT_AUDIT_RETENTION_DAYS/],
    [{ VAULT_AUDIT_CHECKPOINT_RECORDS: '0' }, /VAULT_AUDIT_CHECKPOINT_RECORDS/],
    [{ VAULT_AUDIT_CHECKPOINT_SECONDS: '3601' }, /VAULT_AUDIT_CHECKPOINT_SECONDS/],
    [{ VAULT_AUDIT_TABLE_NAME: 'kms-vault' }, /a table of its own/],
    [
      {
        VAULT_TABLE_NAME: 't'.repeat(255),
        VAULT_KMS_KEY_ID: 'k',
        VAULT_KMS_MAC_KEY_ID: 'm',
        VAULT_POLICY: '{"rules":[]}',
      },
      /too long: set VAULT_AUDIT_TABLE_NAME/,
    ],
  ])('refuses the trail setting %j', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});
