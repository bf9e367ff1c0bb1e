import { AuthenticationError } from '../../src/core/errors';
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
