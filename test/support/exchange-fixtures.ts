import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exchange } from '../../src/core/exchange-keys';

export interface AnswerFixture {
  name: string;
  body: unknown;
  expect: Record<string, unknown>;
}

export interface ErrorFixture {
  name: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body that is not JSON, sent as is. */
  text?: string;
  nowMs?: number;
  expect: { code: string; exchangeCode?: string; ambiguous?: boolean; retryAfterSeconds?: number };
}

export interface ExchangeFixture {
  source: string;
  signatures: Array<{
    source: string;
    secret: string;
    payload?: string;
    input?: unknown;
    signature: string;
    kind?: string;
  }>;
  request: {
    source: string;
    apiKey: string;
    secretKey: string;
    passphrase?: string;
    nowMs: number;
    recvWindowMs: number;
    pathAndQuery: string;
    headers: Record<string, string>;
  };
  /** The API key the answers belong to, where the answer lists several (Gate). */
  apiKey?: string;
  answers: AnswerFixture[];
  errors: ErrorFixture[];
}

/** Facts and vectors copied from the exchanges' docs (each file names its sources). */
export function exchangeFixture(exchange: Exchange): ExchangeFixture {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'exchanges', `${exchange}.json`), 'utf8'));
}
