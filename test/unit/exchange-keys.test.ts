import { ValidationError } from '../../src/core/errors';
import {
  apiKeyHint,
  buildPermissionCheck,
  CheckPolicySettingsError,
  DEFAULT_CHECK_POLICY,
  type Exchange,
  evaluateCheck,
  exchangeCredentialSchema,
  keyExpiry,
  type PermissionCheck,
  type PermissionFacts,
  parseCheckPolicy,
  parseExchangeCredential,
  rotationDueWithExpiry,
} from '../../src/core/exchange-keys';

const KUCOIN_KEY = '6705f5c311545b000157d3eb';

describe('exchange credential schemas', () => {
  it.each<[Exchange, Record<string, unknown>]>([
    ['binance', { apiKey: 'ak', secretKey: 'sk' }],
    ['bybit', { apiKey: 'ak', secretKey: 'sk' }],
    ['gate', { apiKey: 'ak', secretKey: 'sk' }],
    ['bingx', { apiKey: 'ak', secretKey: 'sk' }],
    ['okx', { apiKey: 'ak', secretKey: 'sk', passphrase: 'Pass-phrase_1!' }],
    ['bitget', { apiKey: 'bg_ak', secretKey: 'sk', passphrase: 'passphrase1' }],
    ['kucoin', { apiKey: KUCOIN_KEY, secretKey: 'sk', passphrase: 'any-pass' }],
  ])('%s accepts %j', (exchange, value) => {
    expect(parseExchangeCredential(exchange, value)).toEqual(value);
  });

  it.each<[string, Exchange, unknown, string]>([
    [
      'passphrase refused where the exchange has none',
      'binance',
      { apiKey: 'a', secretKey: 's', passphrase: 'p' },
      'only apiKey and secretKey',
    ],
    ['passphrase required on okx', 'okx', { apiKey: 'a', secretKey: 's' }, 'passphrase: is required'],
    ['passphrase required on bitget', 'bitget', { apiKey: 'a', secretKey: 's' }, 'passphrase: is required'],
    ['passphrase required on kucoin', 'kucoin', { apiKey: KUCOIN_KEY, secretKey: 's' }, 'passphrase: is required'],
    ['a stray field', 'bybit', { apiKey: 'a', secretKey: 's', note: 'n' }, 'only apiKey and secretKey'],
    ['a missing secret', 'gate', { apiKey: 'a' }, 'secretKey: is required'],
    ['an empty key', 'bingx', { apiKey: '', secretKey: 's' }, 'apiKey: must not be empty'],
    ['a key with a space', 'binance', { apiKey: 'a b', secretKey: 's' }, 'apiKey: must be printable ASCII'],
    [
      'a PEM secret',
      'binance',
      { apiKey: 'a', secretKey: '-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----' },
      'secretKey: must be printable ASCII',
    ],
    ['an oversized secret', 'bybit', { apiKey: 'a', secretKey: 'x'.repeat(513) }, 'secretKey: must be at most 512'],
    [
      'a KuCoin key that is not 24 hex',
      'kucoin',
      { apiKey: 'demo-trade', secretKey: 's', passphrase: 'p' },
      'KuCoin key is 24 hexadecimal',
    ],
    [
      'a Bitget passphrase with a hyphen',
      'bitget',
      { apiKey: 'a', secretKey: 's', passphrase: 'demo-passphrase' },
      'Bitget passphrase is 8 to 32 letters and digits',
    ],
    [
      'a Bitget passphrase too short',
      'bitget',
      { apiKey: 'a', secretKey: 's', passphrase: 'abc1234' },
      'Bitget passphrase',
    ],
    ['a number as key', 'okx', { apiKey: 12, secretKey: 's', passphrase: 'p' }, 'apiKey: must be a string'],
    ['not an object', 'okx', 'ak:sk:pp', 'value: must be an object'],
  ])('refuses %s', (_name, exchange, value, message) => {
    expect(() => parseExchangeCredential(exchange, value)).toThrow(ValidationError);
    try {
      parseExchangeCredential(exchange, value);
    } catch (error) {
      expect((error as ValidationError).issues.join('\n')).toContain(message);
    }
  });

  it('errors never echo the submitted values, field names included (zod issues as the HTTP layer formats them: path and message)', () => {
    const canaries = ['SECRET-CANARY-1', 'SECRET-CANARY-2', 'SECRET-CANARY-3', 'SECRET-CANARY-4'];
    const values = [
      { apiKey: `${canaries[0]} x`, secretKey: canaries[1], passphrase: `${canaries[2]}-` },
      { apiKey: 'a', secretKey: 's', [canaries[3]!]: canaries[0] },
      canaries[1],
    ];
    for (const exchange of ['binance', 'okx', 'bitget', 'kucoin'] as const) {
      for (const value of values) {
        const zod = exchangeCredentialSchema(exchange).safeParse(value);
        let thrown: unknown;
        try {
          parseExchangeCredential(exchange, value);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(ValidationError);
        const text = JSON.stringify({
          thrown,
          message: (thrown as Error).message,
          zod: zod.error?.issues.map((issue) => [issue.path, issue.message]),
        });
        for (const canary of canaries) expect(text).not.toContain(canary);
      }
    }
  });
});

describe('apiKeyHint', () => {
  it.each([
    ['0123456789abcdef0123', '0123****0123'],
    ['0123456789abcdef', '0123****cdef'],
    ['0123456789ab', '012****9ab'],
    ['demo-trade', 'de****de'],
    ['abcdefgh', 'ab****gh'],
    ['abcd', 'a****d'],
    ['abc', '****'],
    ['', '****'],
  ])('%s -> %s', (key, hint) => {
    expect(apiKeyHint(key)).toBe(hint);
  });

  it('never shows more than half of a key, so a short key is never revealed whole', () => {
    for (let length = 0; length <= 40; length += 1) {
      const key = 'k'.repeat(length);
      const shown = apiKeyHint(key).replace('****', '').length;
      expect(shown).toBeLessThanOrEqual(length / 2);
    }
  });

  it('does not tell the length of a long key', () => {
    expect(apiKeyHint(`abcd${'x'.repeat(20)}wxyz`)).toBe(apiKeyHint(`abcd${'x'.repeat(60)}wxyz`));
  });
});

const SAFE: PermissionCheck = {
  exchange: 'okx',
  checkedAt: '2026-01-01T00:00:00.000Z',
  canTrade: true,
  canTradeDerivatives: true,
  canWithdraw: false,
  canTransfer: true,
  readOnly: false,
  ipRestricted: true,
  expiresAt: null,
  warnings: [],
};

const policy = (settings: { require?: string; refuse?: string; allowUnknown?: string }) => parseCheckPolicy(settings);

describe('evaluateCheck', () => {
  it.each<[string, Partial<PermissionCheck>, ReturnType<typeof policy>, string[]]>([
    ['a derivatives trading key without withdraw passes the default', {}, DEFAULT_CHECK_POLICY, []],
    [
      'transfer is reported, not refused, by default (OKX trade includes it)',
      { canTransfer: true },
      DEFAULT_CHECK_POLICY,
      [],
    ],
    ['withdraw is refused', { canWithdraw: true }, DEFAULT_CHECK_POLICY, ['withdraw_enabled']],
    [
      'withdraw is refused even when unknowns are allowed',
      { canWithdraw: true },
      policy({ allowUnknown: 'withdraw' }),
      ['withdraw_enabled'],
    ],
    [
      'withdraw is refused even when nothing is required',
      { canWithdraw: true },
      policy({ require: 'none' }),
      ['withdraw_enabled'],
    ],
    ['unknown withdraw is refused', { canWithdraw: null }, DEFAULT_CHECK_POLICY, ['withdraw_unknown']],
    ['unknown withdraw passes when allowed', { canWithdraw: null }, policy({ allowUnknown: 'withdraw' }), []],
    [
      'unknown withdraw passes when allowed for that exchange',
      { canWithdraw: null },
      policy({ allowUnknown: 'okx:withdraw' }),
      [],
    ],
    [
      'unknown withdraw allowed for another exchange does not count',
      { canWithdraw: null },
      policy({ allowUnknown: 'gate:withdraw' }),
      ['withdraw_unknown'],
    ],
    ['no derivatives is refused', { canTradeDerivatives: false }, DEFAULT_CHECK_POLICY, ['derivatives_disabled']],
    ['unknown derivatives is refused', { canTradeDerivatives: null }, DEFAULT_CHECK_POLICY, ['derivatives_unknown']],
    ['unknown derivatives allowed', { canTradeDerivatives: null }, policy({ allowUnknown: 'derivatives' }), []],
    [
      'no derivatives passes when only trading is required',
      { canTradeDerivatives: false },
      policy({ require: 'trade' }),
      [],
    ],
    [
      'no trading refused when trading is required',
      { canTrade: false },
      policy({ require: 'trade' }),
      ['trade_disabled'],
    ],
    [
      'read only refused by the default',
      { readOnly: true, canTrade: false, canTradeDerivatives: false, canTransfer: false },
      DEFAULT_CHECK_POLICY,
      ['read_only', 'derivatives_disabled'],
    ],
    [
      'read only passes when nothing is required',
      { readOnly: true, canTrade: false, canTradeDerivatives: false },
      policy({ require: 'none' }),
      [],
    ],
    [
      'an IP binding can be required',
      { ipRestricted: false },
      policy({ require: 'derivatives,ip' }),
      ['ip_unrestricted'],
    ],
    ['unknown IP binding refused when required', { ipRestricted: null }, policy({ require: 'ip' }), ['ip_unknown']],
    ['transfer refused when asked', { canTransfer: true }, policy({ refuse: 'transfer' }), ['transfer_enabled']],
    [
      'unknown transfer refused when transfer is refused',
      { canTransfer: null },
      policy({ refuse: 'transfer' }),
      ['transfer_unknown'],
    ],
    ['unknown transfer allowed', { canTransfer: null }, policy({ refuse: 'transfer', allowUnknown: 'transfer' }), []],
    [
      'every reason at once, withdraw first',
      { canWithdraw: true, readOnly: true, canTradeDerivatives: null, canTransfer: true },
      policy({ refuse: 'transfer' }),
      ['withdraw_enabled', 'read_only', 'derivatives_unknown', 'transfer_enabled'],
    ],
  ])('%s', (_name, change, rules, reasons) => {
    expect(evaluateCheck({ ...SAFE, ...change }, rules)).toEqual(reasons);
  });
});

describe('parseCheckPolicy', () => {
  it('defaults to requiring derivatives, refusing nothing more, allowing no unknown', () => {
    expect(parseCheckPolicy({})).toEqual(DEFAULT_CHECK_POLICY);
    expect([...parseCheckPolicy({ require: '' }).require]).toEqual(['derivatives']);
  });
  it('reads comma lists with spaces', () => {
    const parsed = parseCheckPolicy({ require: ' trade , ip ', allowUnknown: 'gate:withdraw, transfer' });
    expect([...parsed.require]).toEqual(['trade', 'ip']);
    expect([...parsed.allowUnknown]).toEqual(['gate:withdraw', 'transfer']);
  });
  it.each([
    [{ require: 'withdraw' }, 'VAULT_EXCHANGE_REQUIRE: unknown entry "withdraw"'],
    [{ refuse: 'withdraw' }, 'VAULT_EXCHANGE_REFUSE: unknown entry "withdraw"'],
    [{ allowUnknown: 'withdraws' }, 'VAULT_EXCHANGE_ALLOW_UNKNOWN: unknown entry "withdraws"'],
    [{ allowUnknown: 'kraken:withdraw' }, 'unknown entry "kraken:withdraw"'],
  ])('refuses a typo rather than loosening the rules: %j', (settings, message) => {
    expect(() => parseCheckPolicy(settings)).toThrow(CheckPolicySettingsError);
    expect(() => parseCheckPolicy(settings)).toThrow(message);
  });
});

const FACTS: PermissionFacts = {
  canTrade: true,
  canTradeDerivatives: true,
  canWithdraw: false,
  canTransfer: false,
  readOnly: false,
  ipRestricted: false,
  reportedExpiresAt: null,
  warnings: [],
};

describe('key expiry rules', () => {
  it.each<
    [string, Exchange, Partial<PermissionFacts>, { expiresAt: string | null; expiryKind?: string; warnings: string[] }]
  >([
    [
      'bybit expiredAt is reported',
      'bybit',
      { reportedExpiresAt: '2026-03-01T00:00:00.000Z' },
      { expiresAt: '2026-03-01T00:00:00.000Z', expiryKind: 'reported', warnings: [] },
    ],
    [
      'binance tradingAuthorityExpirationTime is reported',
      'binance',
      { reportedExpiresAt: '2026-02-01T00:00:00.000Z', ipRestricted: false },
      { expiresAt: '2026-02-01T00:00:00.000Z', expiryKind: 'reported', warnings: [] },
    ],
    [
      'gate without IP: created + 90 days',
      'gate',
      { keyCreatedAt: '2026-01-01T00:00:00.000Z' },
      { expiresAt: '2026-04-01T00:00:00.000Z', expiryKind: 'no-ip-binding', warnings: [] },
    ],
    [
      'gate with IP: no expiry',
      'gate',
      { ipRestricted: true, keyCreatedAt: '2026-01-01T00:00:00.000Z' },
      { expiresAt: null, warnings: [] },
    ],
    [
      'gate with unknown IP binding: no guess',
      'gate',
      { ipRestricted: null, keyCreatedAt: '2026-01-01T00:00:00.000Z' },
      { expiresAt: null, warnings: [] },
    ],
    ['gate without a creation date: nothing to count from', 'gate', {}, { expiresAt: null, warnings: [] }],
    [
      'bybit without expiredAt falls back to created + 90 days',
      'bybit',
      { keyCreatedAt: '2026-01-01T00:00:00.000Z' },
      { expiresAt: '2026-04-01T00:00:00.000Z', expiryKind: 'no-ip-binding', warnings: [] },
    ],
    [
      'the earlier of reported and rule wins',
      'bybit',
      { keyCreatedAt: '2026-01-01T00:00:00.000Z', reportedExpiresAt: '2026-01-10T00:00:00.000Z' },
      { expiresAt: '2026-01-10T00:00:00.000Z', expiryKind: 'reported', warnings: [] },
    ],
    [
      'the rule wins when earlier than the report',
      'bybit',
      { keyCreatedAt: '2026-01-01T00:00:00.000Z', reportedExpiresAt: '2027-01-01T00:00:00.000Z' },
      { expiresAt: '2026-04-01T00:00:00.000Z', expiryKind: 'no-ip-binding', warnings: [] },
    ],
    [
      'okx trading without IP: 14-day inactivity warning, no date',
      'okx',
      {},
      { expiresAt: null, warnings: ['inactivity_expiry_14d'] },
    ],
    [
      'okx withdraw without IP warns too',
      'okx',
      { canTrade: false, canWithdraw: true },
      { expiresAt: null, warnings: ['inactivity_expiry_14d'] },
    ],
    [
      'okx read only without IP: no warning',
      'okx',
      { canTrade: false, canWithdraw: false },
      { expiresAt: null, warnings: [] },
    ],
    ['okx with IP: no warning', 'okx', { ipRestricted: true }, { expiresAt: null, warnings: [] }],
    ['bingx trading without IP warns', 'bingx', {}, { expiresAt: null, warnings: ['inactivity_expiry_14d'] }],
    [
      'bingx transfer-only without IP warns',
      'bingx',
      { canTrade: false, canTransfer: true },
      { expiresAt: null, warnings: ['inactivity_expiry_14d'] },
    ],
    ['bingx read only without IP: no warning', 'bingx', { canTrade: false }, { expiresAt: null, warnings: [] }],
    [
      'kucoin without IP: no documented rule',
      'kucoin',
      { keyCreatedAt: '2026-01-01T00:00:00.000Z' },
      { expiresAt: null, warnings: [] },
    ],
    [
      'an unparseable reported date is ignored',
      'bybit',
      { reportedExpiresAt: 'soon', ipRestricted: true },
      { expiresAt: null, warnings: [] },
    ],
  ])('%s', (_name, exchange, change, want) => {
    expect(keyExpiry(exchange, { ...FACTS, ...change })).toEqual(want);
  });

  it('buildPermissionCheck applies the rules and keeps the adapter warnings first', () => {
    const check = buildPermissionCheck('okx', new Date('2026-01-02T03:04:05.000Z'), {
      ...FACTS,
      warnings: ['unrecognised_permissions'],
    });
    expect(check).toEqual({
      exchange: 'okx',
      checkedAt: '2026-01-02T03:04:05.000Z',
      canTrade: true,
      canTradeDerivatives: true,
      canWithdraw: false,
      canTransfer: false,
      readOnly: false,
      ipRestricted: false,
      expiresAt: null,
      warnings: ['unrecognised_permissions', 'inactivity_expiry_14d'],
    });
  });

  it.each([
    [
      'an expiry before the rotation date moves it earlier',
      '2026-02-01T00:00:00.000Z',
      '2026-01-15T00:00:00.000Z',
      '2026-01-15T00:00:00.000Z',
    ],
    [
      'an expiry after the rotation date changes nothing',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
    ],
    ['no expiry changes nothing', '2026-02-01T00:00:00.000Z', null, '2026-02-01T00:00:00.000Z'],
  ])('rotationDueWithExpiry: %s', (_name, due, expiresAt, want) => {
    expect(rotationDueWithExpiry(due, { ...SAFE, expiresAt })).toBe(want);
  });
});
