import { ConfigError, loadConfig } from '../../src/config';
import { AuthenticationError } from '../../src/core/errors';
import { adminPolicy, isAllowed, PolicyError, parsePolicy } from '../../src/core/policy';
import { normalisePrincipal } from '../../src/core/principal';

describe('principal normalisation', () => {
  it('an assumed-role session is the role it came from, whatever the session name', () => {
    expect(normalisePrincipal('arn:aws:sts::123456789012:assumed-role/trading-engine/i-0abc123')).toBe(
      'arn:aws:iam::123456789012:role/trading-engine',
    );
    expect(normalisePrincipal('arn:aws:sts::123456789012:assumed-role/trading-engine/admin')).toBe(
      'arn:aws:iam::123456789012:role/trading-engine',
    );
  });
  it('a role ARN with a path matches on account and name (assumed-role ARNs carry no path)', () => {
    expect(normalisePrincipal('arn:aws:iam::123456789012:role/service/trading-engine')).toBe(
      'arn:aws:iam::123456789012:role/trading-engine',
    );
  });
  it('IAM users stay as they are', () => {
    expect(normalisePrincipal('arn:aws:iam::123456789012:user/ops/alice')).toBe(
      'arn:aws:iam::123456789012:user/ops/alice',
    );
  });
  it.each([
    'arn:aws:iam::123456789012:root',
    'arn:aws:sts::123456789012:federated-user/bob',
    '*',
    '',
    'arn:aws:iam::12345:role/x',
    'arn:aws:sts::123456789012:assumed-role/a',
  ])('refuses %s', (arn) => {
    expect(() => normalisePrincipal(arn)).toThrow(AuthenticationError);
  });
});

describe('policy documents', () => {
  const ENGINE = 'arn:aws:iam::123456789012:role/trading-engine';
  const API = 'arn:aws:iam::123456789012:role/user-api';
  const policy = parsePolicy({
    rules: [
      { principals: [API], actions: ['write', 'describe', 'list', 'delete'], paths: ['exchange-keys/*'] },
      {
        principals: ['arn:aws:sts::123456789012:assumed-role/trading-engine/any'],
        actions: ['read', 'describe'],
        paths: ['exchange-keys/*'],
      },
      { principals: [API], actions: ['read'], paths: ['public/banner'] },
    ],
  });

  it('denies by default and allows exactly what a rule names', () => {
    expect(isAllowed(policy, API, 'write', 'exchange-keys/u1/binance')).toBe(true);
    expect(isAllowed(policy, API, 'read', 'exchange-keys/u1/binance')).toBe(false);
    expect(isAllowed(policy, ENGINE, 'read', 'exchange-keys/u1/binance')).toBe(true);
    expect(isAllowed(policy, ENGINE, 'write', 'exchange-keys/u1/binance')).toBe(false);
    expect(isAllowed(policy, ENGINE, 'read', 'other/thing')).toBe(false);
    expect(isAllowed(policy, 'arn:aws:iam::123456789012:role/stranger', 'describe', 'exchange-keys/u1')).toBe(false);
  });

  it('prefix/* means strictly below the prefix, not a sibling with the same start', () => {
    expect(isAllowed(policy, ENGINE, 'read', 'exchange-keys')).toBe(false);
    expect(isAllowed(policy, ENGINE, 'read', 'exchange-keys-archive/u1')).toBe(false);
    expect(isAllowed(policy, API, 'read', 'public/banner')).toBe(true);
    expect(isAllowed(policy, API, 'read', 'public/banner2')).toBe(false);
  });

  it('the admin policy allows everything for its principal only', () => {
    const admin = adminPolicy('arn:aws:iam::000000000000:user/vault-admin');
    expect(isAllowed(admin, 'arn:aws:iam::000000000000:user/vault-admin', 'destroy', 'a/b/c')).toBe(true);
    expect(isAllowed(admin, ENGINE, 'read', 'a')).toBe(false);
  });

  it.each([
    [
      'a wildcard principal',
      { rules: [{ principals: ['*'], actions: ['read'], paths: ['a/*'] }] },
      /rule 0 \(principals\.0\).*wildcards are not allowed/,
    ],
    [
      'an unknown action',
      {
        rules: [
          { principals: [API], actions: ['read'], paths: ['a'] },
          { principals: [API], actions: ['reed'], paths: ['a'] },
        ],
      },
      /rule 1 \(actions\.0\)/,
    ],
    [
      'a bad pattern',
      { rules: [{ principals: [API], actions: ['read'], paths: ['a/../b'] }] },
      /rule 0 \(paths\.0\).*a\/\.\.\/b/,
    ],
    [
      'a mid-path wildcard',
      { rules: [{ principals: [API], actions: ['read'], paths: ['a/*/b'] }] },
      /rule 0 \(paths\.0\)/,
    ],
    [
      'the account root',
      { rules: [{ principals: ['arn:aws:iam::123456789012:root'], actions: ['read'], paths: ['a'] }] },
      /rule 0 \(principals\.0\)/,
    ],
    [
      'an unknown field',
      { rules: [{ principals: [API], actions: ['read'], paths: ['a'], effect: 'allow' }] },
      /rule 0/,
    ],
    ['no actions', { rules: [{ principals: [API], actions: [], paths: ['a'] }] }, /rule 0 \(actions\)/],
    ['no rules array', { statements: [] }, /invalid policy/],
  ])('refuses %s with a message naming the rule', (_name, document, message) => {
    expect(() => parsePolicy(document)).toThrow(PolicyError);
    expect(() => parsePolicy(document)).toThrow(message);
  });

  it('refuses a malformed policy at start-up (config), naming the rule', () => {
    const env = {
      VAULT_POLICY: JSON.stringify({
        rules: [
          { principals: [API], actions: ['read'], paths: ['ok'] },
          { principals: [API], actions: ['fly'], paths: ['ok'] },
        ],
      }),
    };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/rule 1/);
    expect(() => loadConfig({ VAULT_POLICY: '{not json' })).toThrow(/not valid JSON/);
  });
});

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
      loadConfig({ VAULT_KMS_KEY_ID: 'alias/vault', VAULT_TABLE_NAME: 'kms-vault-prod', AWS_REGION: 'eu-west-1' }),
    ).toMatchObject({ mode: 'aws', kmsKeyId: 'alias/vault', tableName: 'kms-vault-prod', region: 'eu-west-1' });
  });
});
