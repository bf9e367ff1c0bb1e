import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTING_NAMES } from '../../src/config';

/** "Name every limit and behaviour in the README": every setting the parser knows is in Settings. */
describe('README Settings table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Settings');
  const table = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const documented = new Set(
    [...table.matchAll(/^\|([^|]+)\|/gm)].flatMap(([, cell]) => cell!.match(/`[A-Z0-9_<>]+`/g) ?? []),
  );
  const names = [...documented].map((name) => name.slice(1, -1));

  it('lists every setting the vault reads', () => {
    expect(SETTING_NAMES.length).toBeGreaterThan(30);
    const missing = SETTING_NAMES.filter(
      (name) =>
        name !== 'AWS_LAMBDA_FUNCTION_NAME' &&
        !names.includes(name) &&
        !(name.startsWith('VAULT_EXCHANGE_URL_') && names.includes('VAULT_EXCHANGE_URL_<EXCHANGE>')),
    );
    expect(missing).toEqual([]);
  });

  it('lists nothing the vault does not read (a stale row misleads as much as a missing one)', () => {
    const known = new Set([...SETTING_NAMES, 'AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL_DYNAMODB']);
    const stale = names.filter((name) => !known.has(name) && name !== 'VAULT_EXCHANGE_URL_<EXCHANGE>');
    expect(stale).toEqual([]);
  });
});
