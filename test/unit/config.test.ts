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
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f', VAULT_KMS_KEY_ID: 'k', VAULT_TABLE_NAME: 'tbl' }, /VAULT_POLICY/],
    [
      {
        AWS_LAMBDA_FUNCTION_NAME: 'f',
        VAULT_KMS_KEY_ID: 'k',
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
  it('selects AWS mode with both KMS key and table', () => {
    expect(
      loadConfig({ VAULT_KMS_KEY_ID: 'alias/vault', VAULT_TABLE_NAME: 'kms-vault-prod', AWS_REGION: 'eu-west-1' }),
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
