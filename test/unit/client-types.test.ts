import type {
  ExchangeCredential,
  ExchangeView,
  ListView,
  MetadataView,
  MutationView,
  RecheckView,
  RewrapView,
  SecretView,
  VaultClient,
  VaultClientError,
} from '../../src/client';
import type { ExchangeCredential as CoreExchangeCredential, Exchange } from '../../src/core/exchange-keys';

// Compile-time tests of the client's public types: `npm run typecheck` (tsc over test/) fails if
// a method returns `any` or another shape, or if a line marked @ts-expect-error stops being an
// error. The runtime test below only keeps jest from reporting an empty file.

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
const expectType = <T extends true>() => true as T;
type Returns<M extends keyof VaultClient> = VaultClient[M] extends (...args: never[]) => Promise<infer R> ? R : never;

expectType<Equal<Returns<'getSecret'>, SecretView>>();
expectType<Equal<Returns<'putSecret'>, MutationView>>();
expectType<Equal<Returns<'describeSecret'>, MetadataView>>();
expectType<Equal<Returns<'listSecrets'>, ListView>>();
expectType<Equal<Returns<'deleteSecret'>, MutationView>>();
expectType<Equal<Returns<'undeleteSecret'>, MutationView>>();
expectType<Equal<Returns<'destroySecret'>, MutationView>>();
expectType<Equal<Returns<'deleteMetadata'>, void>>();
expectType<Equal<Returns<'rewrap'>, RewrapView>>();
expectType<Equal<Returns<'putExchangeKey'>, MutationView>>();
expectType<Equal<Returns<'recheckExchangeKey'>, RecheckView>>();
expectType<Equal<RecheckView['flagged'], string[]>>();
expectType<Equal<MetadataView['flagged'], string[] | undefined>>();
expectType<Equal<VaultClientError['details'], readonly string[] | undefined>>();
// The client's copies (it imports nothing of the core's) say what the vault accepts.
expectType<Equal<ExchangeView, Exchange>>();
expectType<Equal<ExchangeCredential, CoreExchangeCredential>>();
expectType<Equal<IsAny<SecretView['value']>, false>>();
expectType<Equal<SecretView['version'], number>>();
expectType<Equal<ListView['cursor'], string | undefined>>();
expectType<Equal<MetadataView['versions'][number]['state'], 'active' | 'deleted' | 'destroyed'>>();
expectType<Equal<VaultClientError['status'], number>>();

async function usage(client: VaultClient): Promise<void> {
  const secret = await client.getSecret('a/b', { version: 2 });
  const version: number = secret.version;
  // @ts-expect-error a version is a number, not a string
  const wrong: string = secret.version;
  // @ts-expect-error a secret path is a string
  await client.getSecret(42);
  // @ts-expect-error cas is a version number
  await client.putSecret('a/b', 'v', { cas: '1' });
  // @ts-expect-error the client has no such method
  await client.readEverything();
  const page = await client.listSecrets({ prefix: 'a/' });
  for (const item of page.items) item.rotationDueAt.toUpperCase();
  const flagged = await client.listSecrets({ prefix: 'a/', flagged: true });
  // @ts-expect-error flagged is a boolean, as the CLI's --flagged
  await client.listSecrets({ flagged: 'true' });
  const stored = await client.putExchangeKey(
    'a/okx',
    'okx',
    { apiKey: 'k', secretKey: 's', passphrase: 'p' },
    { cas: 0 },
  );
  // @ts-expect-error an exchange the vault does not know
  await client.putExchangeKey('a/ftx', 'ftx', { apiKey: 'k', secretKey: 's' });
  // @ts-expect-error a credential has a secretKey
  await client.putExchangeKey('a/okx', 'okx', { apiKey: 'k' });
  // @ts-expect-error a credential is apiKey, secretKey and passphrase, nothing else
  await client.putExchangeKey('a/okx', 'okx', { apiKey: 'k', secretKey: 's', note: 'n' });
  const checked = await client.recheckExchangeKey('a/okx');
  const reasons: string[] = checked.flagged;
  const canWithdraw: boolean | null | undefined = checked.check?.canWithdraw;
  void [version, wrong, flagged, stored, reasons, canWithdraw];
}

describe('client types', () => {
  it('are checked by tsc (npm run typecheck), not by this runtime', () => {
    expect(typeof usage).toBe('function');
  });
});
