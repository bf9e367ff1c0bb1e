import { startBinanceStub } from './binance-stub';
import { startBingxStub } from './bingx-stub';
import { startBitgetStub } from './bitget-stub';
import { startBybitStub } from './bybit-stub';
import { startGateStub } from './gate-stub';
import { startKucoinStub } from './kucoin-stub';
import { startOkxStub } from './okx-stub';
import type { StubExchange, StubOptions } from './stub-keys';
import type { RunningStub } from './stub-server';

export const START_STUB: Record<StubExchange, (options?: StubOptions, port?: number) => Promise<RunningStub>> = {
  binance: startBinanceStub,
  okx: startOkxStub,
  bybit: startBybitStub,
  bitget: startBitgetStub,
  gate: startGateStub,
  bingx: startBingxStub,
  kucoin: startKucoinStub,
};

export * from './stub-keys';
export type { RunningStub } from './stub-server';
