import { adminPolicy, isAllowed, PolicyError, parsePolicy } from '../../src/core/policy';

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
});
