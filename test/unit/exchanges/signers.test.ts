import { binanceSignature } from '../../../src/adapters/exchanges/binance';
import { bingxSignature } from '../../../src/adapters/exchanges/bingx';
import { bitgetSignature } from '../../../src/adapters/exchanges/bitget';
import { bybitSignature } from '../../../src/adapters/exchanges/bybit';
import { EXCHANGE_APIS } from '../../../src/adapters/exchanges/exchange-apis';
import { type GateSignInput, gateSignature } from '../../../src/adapters/exchanges/gate';
import { kucoinPassphrase, kucoinSignature } from '../../../src/adapters/exchanges/kucoin';
import { okxSignature } from '../../../src/adapters/exchanges/okx';
import { EXCHANGES, type Exchange } from '../../../src/core/exchange-keys';
import { exchangeFixture } from '../../support/exchange-fixtures';

/** Each exchange's signing primitive, applied to a vector's payload. */
const SIGN: Record<Exchange, (vector: { secret: string; payload?: string; input?: unknown; kind?: string }) => string> =
  {
    binance: (v) => binanceSignature(v.secret, v.payload!),
    okx: (v) => okxSignature(v.secret, v.payload!),
    bybit: (v) => bybitSignature(v.secret, v.payload!),
    bitget: (v) => bitgetSignature(v.secret, v.payload!),
    gate: (v) => gateSignature(v.secret, v.input as GateSignInput),
    bingx: (v) => bingxSignature(v.secret, v.payload!),
    kucoin: (v) =>
      v.kind === 'passphrase' ? kucoinPassphrase(v.secret, v.payload!) : kucoinSignature(v.secret, v.payload!),
  };

describe.each(EXCHANGES)('%s signer', (exchange) => {
  const fixture = exchangeFixture(exchange);

  it.each(fixture.signatures.map((v) => [v.source, v] as const))('reproduces the vector (%s)', (_source, vector) => {
    expect(SIGN[exchange](vector)).toBe(vector.signature);
  });

  it('builds the self-permission request byte for byte as the reference client does', () => {
    const { request } = fixture;
    const credential = {
      apiKey: request.apiKey,
      secretKey: request.secretKey,
      ...(request.passphrase === undefined ? {} : { passphrase: request.passphrase }),
    };
    const signed = EXCHANGE_APIS[exchange].sign(credential, {
      nowMs: request.nowMs,
      recvWindowMs: request.recvWindowMs,
    });
    expect(signed.method).toBe('GET');
    expect(signed.pathAndQuery).toBe(request.pathAndQuery);
    // Every header the reference sends must be there with the same value; the vault may add
    // unsigned ones (content type, key version) but none of the reference's may differ.
    expect(signed.headers).toMatchObject(request.headers);
  });

  it('a different secret gives a different signature (the secret is really used)', () => {
    const { request } = fixture;
    const sign = (secretKey: string) =>
      EXCHANGE_APIS[exchange].sign(
        { apiKey: request.apiKey, secretKey, passphrase: 'p' },
        { nowMs: request.nowMs, recvWindowMs: request.recvWindowMs },
      );
    expect(sign('one-secret')).not.toEqual(sign('another-secret'));
  });
});

describe('kucoin key version', () => {
  it('sends version 3 with the passphrase HMACed, never in the clear (KuCoin docs for versions 2 and 3)', () => {
    const signed = EXCHANGE_APIS.kucoin.sign(
      { apiKey: 'k', secretKey: 'test-secret', passphrase: 'test-passphrase' },
      { nowMs: 1, recvWindowMs: 5000 },
    );
    expect(signed.headers['KC-API-KEY-VERSION']).toBe('3');
    expect(signed.headers['KC-API-PASSPHRASE']).toBe('UbgWiL7WdjQOVBl1OLuMgUbTl9VlKFsjFbLedtCDPrY=');
  });
});
