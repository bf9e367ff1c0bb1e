/**
 * DynamoDB and KMS calls per write, at each stage of a secret's life (create, update, past the
 * retention limit), and per hot read, counted on the wire through the real server: see
 * servers/counted-vault-server.ts. Each call is split into those on the caller's path (done
 * before the vault answered) and those after the response (left running by the vault).
 */
import { join } from 'node:path';
import { startChild } from './lib/child';
import { presign, send } from './lib/sign';
import type { CallsAnswer, CountedVaultServerInfo } from './servers/counted-vault-server';

/** The write budget: 1 GenerateDataKey, 0 Decrypt, at most 3 single-item DynamoDB calls per write. */
export const WRITE_BUDGET = { generateDataKey: 1, decrypt: 0, maxDynamoCalls: 3 };

export interface CallCounts {
  /** Calls on the secrets table (the budget's). */
  dynamodb: Record<string, number>;
  /** DynamoDB calls on the access trail's table (one record per request, a checkpoint now and then). */
  trail: Record<string, number>;
  kms: Record<string, number>;
  dynamodbTotal: number;
  trailTotal: number;
  kmsTotal: number;
}

export interface StageCalls {
  /** HTTP status of the request. */
  status: number;
  /** Every call the request caused, on its path or after. */
  total: CallCounts;
  /** Calls whose response came back before the vault answered. */
  onCallerPath: CallCounts;
  /** Calls still running, or started, after the vault answered. */
  afterResponse: CallCounts;
}

export interface WriteCallResults {
  method: string;
  maxVersions: number;
  stages: { create: StageCalls; update: StageCalls; pastRetention: StageCalls; hotRead: StageCalls };
  /** Every write of the sequence: DynamoDB and KMS calls in total and on the caller's path. */
  perWrite: Array<{ write: number; dynamodb: number; dynamodbOnCallerPath: number; trail: number; kms: number }>;
  /** Settling did not finish within its bound for some request (counts may be short). */
  unsettled: number;
  budget: typeof WRITE_BUDGET & {
    worstDynamoCalls: number;
    worstGenerateDataKey: number;
    worstDecrypt: number;
    pass: boolean;
  };
}

const PATH = 'bench/write-calls/binance-main';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countsOf(calls: CallsAnswer['calls']): CallCounts {
  const counts: CallCounts = { dynamodb: {}, trail: {}, kms: {}, dynamodbTotal: 0, trailTotal: 0, kmsTotal: 0 };
  for (const call of calls) {
    counts[call.service][call.operation] = (counts[call.service][call.operation] ?? 0) + 1;
    counts[`${call.service}Total`] += 1;
  }
  return counts;
}

export async function measureWriteCalls(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void = () => {},
): Promise<WriteCallResults> {
  const child = await startChild<CountedVaultServerInfo>(join(__dirname, 'servers', 'counted-vault-server.ts'), env);
  try {
    const { url, credential, region, maxVersions } = child.info;
    let unsettled = 0;

    /** Waits until nothing is in flight and nothing new started for 250 ms (at most 5 s). */
    const settle = async (): Promise<CallsAnswer> => {
      const start = performance.now();
      let seen = '';
      let stableSince = start;
      for (;;) {
        await sleep(50);
        const answer = await child.ask<CallsAnswer>({ type: 'calls' });
        const now = performance.now();
        const state = `${answer.calls.length}/${answer.inFlight}/${answer.responses.length}`;
        if (state !== seen) {
          seen = state;
          stableSince = now;
        }
        if (answer.inFlight === 0 && answer.responses.length > 0 && now - stableSince >= 250) return answer;
        if (now - start > 5000) {
          unsettled += 1;
          return answer;
        }
      }
    };

    const counted = async (method: 'GET' | 'PUT', body?: string): Promise<StageCalls> => {
      await child.ask({ type: 'reset' });
      const res = await send(url, await presign(url, credential, region, method, `/v1/secrets/${PATH}`, body));
      if (res.status < 200 || res.status > 299)
        throw new Error(`${method} ${PATH}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      const answer = await settle();
      if (answer.responses.length !== 1) throw new Error(`expected one vault response, saw ${answer.responses.length}`);
      const answered = answer.responses[0]!.finished;
      const onPath = answer.calls.filter((c) => c.finished !== undefined && c.finished < answered);
      const after = answer.calls.filter((c) => c.finished === undefined || c.finished > answered);
      return {
        status: res.status,
        total: countsOf(answer.calls),
        onCallerPath: countsOf(onPath),
        afterResponse: countsOf(after),
      };
    };

    // Enough writes to one path to pass the retention limit and reach its steady state.
    const writes: StageCalls[] = [];
    const total = maxVersions + 2;
    log(`  ${total} writes to one path through the server (AWS mode on dynalite + fake KMS), counted on the wire`);
    for (let i = 1; i <= total; i++)
      writes.push(await counted('PUT', JSON.stringify({ value: { apiKey: `key-${i}`, secretKey: `secret-${i}` } })));
    await counted('GET'); // the first read may unwrap the data key
    const hotRead = await counted('GET');

    const all = writes.map((w) => w.total);
    const worstDynamoCalls = Math.max(...all.map((c) => c.dynamodbTotal));
    const worstGenerateDataKey = Math.max(...all.map((c) => c.kms.GenerateDataKey ?? 0));
    const worstDecrypt = Math.max(...all.map((c) => c.kms.Decrypt ?? 0));
    return {
      method: `startServer in AWS mode (DynamoDB = dynalite, KMS = the test fake KMS, both in the server's process); ${total} sequential PUTs of one path, then 2 GETs; every request to dynalite and the fake KMS counted by operation (x-amz-target) from node:diagnostics_channel, DynamoDB calls split by table (secrets table, the budget's; access trail table, VAULT_AUDIT=durable as AWS mode defaults); after each request the count waits until nothing is in flight for 250 ms; a call is on the caller's path when its response finished before the vault's`,
      maxVersions,
      stages: { create: writes[0]!, update: writes[1]!, pastRetention: writes[total - 1]!, hotRead },
      perWrite: writes.map((w, i) => ({
        write: i + 1,
        dynamodb: w.total.dynamodbTotal,
        dynamodbOnCallerPath: w.onCallerPath.dynamodbTotal,
        trail: w.total.trailTotal,
        kms: w.total.kmsTotal,
      })),
      unsettled,
      budget: {
        ...WRITE_BUDGET,
        worstDynamoCalls,
        worstGenerateDataKey,
        worstDecrypt,
        pass:
          worstDynamoCalls <= WRITE_BUDGET.maxDynamoCalls &&
          worstGenerateDataKey <= WRITE_BUDGET.generateDataKey &&
          worstDecrypt <= WRITE_BUDGET.decrypt &&
          unsettled === 0,
      },
    };
  } finally {
    await child.stop();
  }
}
