import {
  adminPolicy,
  decidingRule,
  isAllowed,
  livePolicy,
  type Policy,
  PolicyError,
  parsePolicy,
} from '../../src/core/policy';

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

  it('names the rule that decided: the first that allows, or none (deny by default)', () => {
    expect(decidingRule(policy, API, 'write', 'exchange-keys/u1/binance')).toBe(0);
    // Rule 1 names the engine's role through a session ARN; parsing normalised it.
    expect(decidingRule(policy, ENGINE, 'read', 'exchange-keys/u1/binance')).toBe(1);
    expect(decidingRule(policy, API, 'read', 'public/banner')).toBe(2);
    expect(decidingRule(policy, API, 'read', 'exchange-keys/u1/binance')).toBeUndefined();
    const overlapping = parsePolicy({
      rules: [
        { principals: [API], actions: ['describe'], paths: ['a/*'] },
        { principals: [API], actions: ['describe', 'read'], paths: ['*'] },
      ],
    });
    expect(decidingRule(overlapping, API, 'describe', 'a/b')).toBe(0);
    expect(decidingRule(overlapping, API, 'read', 'a/b')).toBe(1);
  });

  it('locates every problem without quoting the document (safe for a reload log line)', () => {
    const secretish = 'arn:aws:iam::123456789012:role/*-do-not-log';
    try {
      parsePolicy({ rules: [{ principals: [secretish], actions: ['reed'], paths: ['a'] }] });
      throw new Error('parsed');
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const { locations } = error as PolicyError;
      expect(locations).toEqual(['rule 0 (principals.0)', 'rule 0 (actions.0)']);
      expect(locations.join(' ')).not.toContain('do-not-log');
    }
  });

  it('a live view follows its source: a swapped policy decides the next call', () => {
    let current: Policy = parsePolicy({ rules: [{ principals: [API], actions: ['read'], paths: ['a'] }] });
    const live = livePolicy({ current: () => current });
    expect(isAllowed(live, API, 'read', 'a')).toBe(true);
    current = parsePolicy({ rules: [] });
    expect(isAllowed(live, API, 'read', 'a')).toBe(false);
  });

  it('the metrics action is granted like any other, and the admin policy includes it', () => {
    const admin = adminPolicy('arn:aws:iam::000000000000:user/vault-admin');
    expect(isAllowed(admin, 'arn:aws:iam::000000000000:user/vault-admin', 'metrics', '*')).toBe(true);
    expect(isAllowed(policy, API, 'metrics', '*')).toBe(false);
  });
});
