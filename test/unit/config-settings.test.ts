import { loadConfig } from '../../src/config';

const AWS = { VAULT_KMS_KEY_ID: 'alias/vault', VAULT_TABLE_NAME: 'kms-vault-prod' };
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
});
