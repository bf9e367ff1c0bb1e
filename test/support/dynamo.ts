import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamo, startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../../src/adapters/dynamodb/table';

let shared: Promise<EmbeddedDynamo> | undefined;

/** One in-memory dynalite per test file, reached over HTTP with the real SDK. */
export function dynamo(): Promise<EmbeddedDynamo> {
  shared ??= startDynalite();
  return shared;
}

export async function stopDynamo(): Promise<void> {
  if (shared) await (await shared).close();
  shared = undefined;
}

/** A fresh table per test, so tests never see each other's items. */
export async function freshTable(client: DynamoDBClient): Promise<string> {
  const name = `t-${randomUUID()}`;
  await ensureTable(client, name);
  return name;
}
