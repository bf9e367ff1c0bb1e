import { NoCredentialsFileError, UnknownCredentialError } from '../adapters/auth/credentials-file';
import { StoreInUseError } from '../adapters/dynamodb/store-lock';
import { InvalidPathError, VaultClientError } from '../client/vault-client';
import { ConfigError } from '../config';

/** One exit status per outcome, so a script can branch on what happened without parsing text. */
export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  notFound: 3,
  denied: 4,
  conflict: 5,
  gone: 6,
  unavailable: 7,
} as const;

/** For --help and the README: the status, and what it means. */
export const EXIT_MEANINGS: ReadonlyArray<[number, string]> = [
  [EXIT.ok, 'done (policy check: allowed)'],
  [
    EXIT.other,
    'anything else (an integrity error; a rewrap with failures; recheck flagged the key; exchange-check found flagged keys; audit verify found findings)',
  ],
  [EXIT.usage, 'bad arguments or settings, or the vault refused the input (400, 413, 415, 422)'],
  [EXIT.notFound, 'no such secret, version, field or credential (404)'],
  [EXIT.denied, 'not authenticated or not allowed (401, 403; policy check: denied)'],
  [EXIT.conflict, 'cas mismatch or a concurrent change (409)'],
  [EXIT.gone, 'the version is deleted or destroyed (410)'],
  [EXIT.unavailable, 'the vault or a dependency is unreachable or busy (503, 429, connection refused)'],
  [130, 'interrupted (rewrap, exchange-check, audit verify)'],
];

/** Bad arguments: the message says what to do instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A named outcome with its own exit status (not found, denied...), raised by a command. */
export class OutcomeError extends Error {
  override readonly name = 'OutcomeError';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

const BY_STATUS: Record<number, number> = {
  400: EXIT.usage,
  401: EXIT.denied,
  403: EXIT.denied,
  404: EXIT.notFound,
  409: EXIT.conflict,
  410: EXIT.gone,
  413: EXIT.usage,
  415: EXIT.usage,
  // The exchange refused the key, or the key breaks the rules (it may withdraw): the input's fault.
  422: EXIT.usage,
  429: EXIT.unavailable,
  503: EXIT.unavailable,
};

/** The network code under a fetch failure ("fetch failed", its cause a socket error), if it is one. */
function networkCode(error: unknown): string | undefined {
  // By name: fetch's TypeError may come from another realm (a test runner's sandbox).
  if ((error as { name?: unknown })?.name !== 'TypeError') return undefined;
  const cause = (error as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_|EHOST|ENET|UND_ERR)/.test(code) ? code : undefined;
}

const unreachable = (error: unknown) => networkCode(error) !== undefined;

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof InvalidPathError)
    return EXIT.usage;
  if (error instanceof OutcomeError) return error.exitCode;
  if (error instanceof VaultClientError) return BY_STATUS[error.status] ?? EXIT.other;
  if (error instanceof NoCredentialsFileError || error instanceof UnknownCredentialError) return EXIT.notFound;
  if (error instanceof StoreInUseError || unreachable(error)) return EXIT.unavailable;
  if ((error as { name?: unknown }).name === 'CredentialsProviderError') return EXIT.denied;
  return EXIT.other;
}

/**
 * The details of a refusal: a 400's one line per invalid field (`body.value.passphrase: is
 * required`: the field and the rule, never its value) or a 422's reasons (`withdraw_enabled`,
 * `exchangeCode: 50111`). The vault writes them for callers and never puts a value in them.
 */
function refusalDetails(error: VaultClientError): string {
  const shown = error.status === 400 || error.status === 422;
  return shown && error.details && error.details.length > 0 ? ` [${error.details.join('; ')}]` : '';
}

/**
 * The one stderr line for a failure. Messages come from the vault (written for callers), from
 * this CLI, or from local files' checks, none of which quote a value; anything else is named
 * by its type and message on one line.
 */
export function errorLine(error: unknown): string {
  let text: string;
  if (error instanceof VaultClientError) {
    text = `${error.code}: ${error.message}${refusalDetails(error)}${error.requestId ? ` (request ${error.requestId})` : ''}`;
  } else if (unreachable(error)) {
    text = `cannot reach the vault (${networkCode(error)}): is it running (npm start), and is --endpoint / VAULT_ENDPOINT right?`;
  } else if (error instanceof Error) {
    text = error instanceof UsageError || error instanceof OutcomeError ? error.message : `${error.message}`;
  } else {
    text = String(error);
  }
  return `kms-vault: ${text.replace(/\s*\n\s*/g, ' ')}\n`;
}
