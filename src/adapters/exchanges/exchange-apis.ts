import type { Exchange } from '../../core/exchange-keys';
import { binanceApi } from './binance';
import { bingxApi } from './bingx';
import { bitgetApi } from './bitget';
import { bybitApi } from './bybit';
import type { ExchangeApi } from './exchange-api';
import { gateApi } from './gate';
import { kucoinApi } from './kucoin';
import { okxApi } from './okx';

/** Every supported exchange's signer and answer mapper. */
export const EXCHANGE_APIS: Readonly<Record<Exchange, ExchangeApi>> = {
  binance: binanceApi,
  okx: okxApi,
  bybit: bybitApi,
  bitget: bitgetApi,
  gate: gateApi,
  bingx: bingxApi,
  kucoin: kucoinApi,
};

/** Each exchange's public API host: where the vault calls when the deployment configures no other. */
export const DEFAULT_EXCHANGE_BASE_URLS: Readonly<Record<Exchange, string>> = {
  binance: binanceApi.defaultBaseUrl,
  okx: okxApi.defaultBaseUrl,
  bybit: bybitApi.defaultBaseUrl,
  bitget: bitgetApi.defaultBaseUrl,
  gate: gateApi.defaultBaseUrl,
  bingx: bingxApi.defaultBaseUrl,
  kucoin: kucoinApi.defaultBaseUrl,
};
