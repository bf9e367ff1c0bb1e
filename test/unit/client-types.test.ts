import type {
  ListView,
  MetadataView,
  MutationView,
  RewrapView,
  SecretView,
  VaultClient,
  VaultClientError,
} from '../../src/client';

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
  void [version, wrong];
}

describe('client types', () => {
  it('are checked by tsc (npm run typecheck), not by this runtime', () => {
    expect(typeof usage).toBe('function');
  });
});
