/**
 * What the HTTP benchmark reads and writes, shared by the load generator and both servers so
 * the vault and the baseline move items of the same shape and size.
 */

/** The embedded server's default table (src/config.ts). */
export const TABLE_NAME = 'kms-vault';

/** Principal the baseline seeds its item as (the vault's own is its generated local admin). */
export const BENCH_PRINCIPAL = 'arn:aws:iam::000000000000:user/vault-admin';

/** The pre-written secret every read fetches. */
export const READ_PATH = 'exchange-keys/user-1842/binance-main';

/** One path per load-generator connection, so concurrent writers never race on one HEAD. */
export function writePath(connection: number): string {
  return `bench-writes/conn-${String(connection).padStart(3, '0')}/binance-main`;
}

/** A value shaped like the first users' exchange credentials (~200 bytes of JSON). */
export const SECRET_VALUE = {
  apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A',
  secretKey: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e0UZjInClVdnxjkjW9Y5aSEXzsWdYgg',
  passphrase: 'correct-horse-battery-staple',
  exchange: 'binance',
};

export const PUT_BODY = JSON.stringify({ value: SECRET_VALUE });
