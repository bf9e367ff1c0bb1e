import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { defaultAuditTableName } from './adapters/dynamodb/audit-table';
import { parseExchangeBaseUrl } from './adapters/exchanges/base-url';
import type { DataKeyCacheSettings } from './core/data-key-cache';
import { type CheckPolicy, EXCHANGES, type Exchange, parseCheckPolicy } from './core/exchange-keys';
import { adminPolicy, type Policy, parsePolicy } from './core/policy';
import { normalisePrincipal } from './core/principal';
import type { VaultSettings } from './core/vault';

/** The principal of the credential `npm start` generates on first run, and the CLI's default operator. */
export const LOCAL_ADMIN = 'arn:aws:iam::000000000000:user/vault-admin';

const int = (min: number, max: number, fallback: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(min), z.maximum(max))), fallback);
/** A non-empty string. */
const text = () => z.string().check(z.minLength(1));

/**
 * Every setting the vault reads, from the environment only. Unknown VAULT_* variables are an
 * error (a typo must not silently fall back to a default). There is no setting that turns
 * encryption or authentication off.
 */
/** `VAULT_EXCHANGE_URL_BINANCE` and so on. */
export const exchangeUrlSetting = (exchange: Exchange) => `VAULT_EXCHANGE_URL_${exchange.toUpperCase()}`;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

const schema = z.object({
  /** Port for `npm start`. */
  PORT: int(0, 65535, 8080),
  /** Interface for `npm start`; loopback unless VAULT_ALLOW_REMOTE is true. */
  VAULT_HOST: z._default(z.string(), '127.0.0.1'),
  /** Embedded mode serves plain HTTP: binding beyond loopback must be asked for explicitly. */
  VAULT_ALLOW_REMOTE: z._default(z.stringbool(), false),
  /** Embedded mode's data: dynalite files, master key, credentials. */
  VAULT_DATA_DIR: z._default(text(), '.vault'),
  /** KMS key id, ARN or alias for new data keys. With VAULT_TABLE_NAME, selects AWS mode. */
  VAULT_KMS_KEY_ID: z.optional(text()),
  /**
   * KMS HMAC key (HMAC_256) for keyed MACs: the exchange-key duplicate index and audit
   * checkpoints. Required in AWS mode and on Lambda; embedded mode keeps mac.key in the data dir.
   */
  VAULT_KMS_MAC_KEY_ID: z.optional(text()),
  /**
   * ARNs of keys that wrapped data keys before the current one (after moving the alias to a new
   * key): the vault decrypts and rewraps only under these and the current key. Comma-separated.
   */
  VAULT_KMS_PREVIOUS_KEY_IDS: z.pipe(
    z.pipe(
      z._default(z.string(), ''),
      z.transform((list: string) =>
        list
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      ),
    ),
    z.array(
      z
        .string()
        .check(z.regex(KMS_KEY_ARN, 'each previous key must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)')),
    ),
  ),
  /** DynamoDB table. With VAULT_KMS_KEY_ID, selects AWS mode. */
  VAULT_TABLE_NAME: z.optional(z.string().check(z.regex(TABLE_NAME, 'must be a valid DynamoDB table name'))),
  /**
   * `durable`: every request on a secret is recorded in the access trail's table before it is
   * answered (no record, no plaintext). `log`: the stdout audit lines only. Default: durable in
   * AWS mode and on Lambda, log in embedded mode. The stdout lines are written in both.
   */
  VAULT_AUDIT: z.optional(z.enum(['durable', 'log'])),
  /** The access trail's table (default `<VAULT_TABLE_NAME>-audit`). */
  VAULT_AUDIT_TABLE_NAME: z.optional(z.string().check(z.regex(TABLE_NAME, 'must be a valid DynamoDB table name'))),
  /** Days before DynamoDB's TTL removes an access record or checkpoint. */
  VAULT_AUDIT_RETENTION_DAYS: int(1, 3650, 400),
  /** A checkpoint (a MAC of the chain head) after this many records... */
  VAULT_AUDIT_CHECKPOINT_RECORDS: int(1, 100_000, 1000),
  /** ...or this many seconds, whichever comes first. */
  VAULT_AUDIT_CHECKPOINT_SECONDS: int(1, 3600, 60),
  AWS_REGION: z.optional(text()),
  /** Policy as inline JSON. */
  VAULT_POLICY: z.optional(text()),
  /** Policy as a JSON file. */
  VAULT_POLICY_FILE: z.optional(text()),
  /** Versions kept per secret (older ones are destroyed once old enough). */
  VAULT_MAX_VERSIONS: int(1, 100, 10),
  /** Retention never destroys a version younger than this many hours (0 = any age). */
  VAULT_RETENTION_MIN_AGE_HOURS: int(0, 8760, 24),
  /** Most versions one secret may hold while young versions wait out their minimum age. */
  VAULT_VERSION_CEILING: int(1, 1000, 100),
  /** Default rotation period in days. */
  VAULT_ROTATION_DAYS: int(1, 3650, 30),
  /** Attempts for a write without cas that keeps losing races. */
  VAULT_MAX_WRITE_ATTEMPTS: int(1, 100, 40),
  /** Data-key cache: seconds an unwrapped key may live in memory (0 = off). */
  VAULT_KEY_CACHE_MAX_AGE_SECONDS: int(0, 3600, 300),
  /** Data-key cache: entries. */
  VAULT_KEY_CACHE_MAX_ENTRIES: int(1, 100_000, 1000),
  /** Data-key cache: reads one entry may serve. */
  VAULT_KEY_CACHE_MAX_USES: int(1, 1_000_000_000, 10_000),
  /** SigV4 credential scope that callers sign for. */
  VAULT_SIGV4_REGION: z.optional(text()),
  VAULT_SIGV4_SERVICE: z._default(text(), 'execute-api'),
  /**
   * The vault's name as callers send it in Host (`vault.example.com`, `127.0.0.1:8080`). When
   * set, a request signed for another host is refused; unset, any signed host is accepted.
   */
  VAULT_SIGV4_HOST: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/,
          'must be a host name or address, with an optional :port',
        ),
      ),
  ),
  /** SigV4 credentials file (embedded mode and non-Lambda deployments). */
  VAULT_CREDENTIALS_FILE: z.optional(text()),
  /** The principal `npm run rewrap` acts as (its policy needs admin on the paths it walks). */
  VAULT_OPERATOR_PRINCIPAL: z._default(text(), LOCAL_ADMIN),
  /**
   * `required`: every exchange key is checked live with its exchange at ingest, and refused when
   * it can withdraw (or fails the rules below). `off`: stored unchecked (check: null).
   * Default: required in AWS mode and on Lambda, off in embedded mode.
   */
  VAULT_EXCHANGE_CHECK: z.optional(z.enum(['required', 'off'])),
  /** Capabilities a key must have: comma list of trade, derivatives, ip; or none (default derivatives). */
  VAULT_EXCHANGE_REQUIRE: z.optional(z.string()),
  /** Capabilities refused besides withdraw (always refused): transfer (default none). */
  VAULT_EXCHANGE_REFUSE: z.optional(z.string()),
  /** Flags whose unknown answer is tolerated, everywhere (withdraw) or per exchange (gate:withdraw). */
  VAULT_EXCHANGE_ALLOW_UNKNOWN: z.optional(z.string()),
  /** Budget for one exchange call, connect to last byte (ms). */
  VAULT_EXCHANGE_TIMEOUT_MS: int(500, 20_000, 5000),
  ...Object.fromEntries(EXCHANGES.map((exchange) => [exchangeUrlSetting(exchange), z.optional(text())])),
  /** How often the server looks for a changed credentials or policy file, in milliseconds. */
  VAULT_RELOAD_INTERVAL_MS: int(10, 60_000, 500),
  /**
   * The vault the `kms-vault` CLI talks to (default: the embedded vault on this machine). A
   * client setting, known here so that one shell can hold it and still start a server.
   */
  VAULT_ENDPOINT: z.optional(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' })),
  /** Set by the Lambda runtime. */
  AWS_LAMBDA_FUNCTION_NAME: z.optional(z.string()),
});

/** Every environment variable the vault reads (the README's Settings table names each one). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

/** Exchange keys: how they are checked and where the vault calls. */
export interface ExchangeConfig {
  check: 'required' | 'off';
  policy: CheckPolicy;
  /** Base URL per exchange when not its public API host (VAULT_EXCHANGE_URL_<EXCHANGE>). */
  baseUrls: Partial<Record<Exchange, string>>;
  timeoutMs: number;
}

/** The access trail: where and how long, and how often its chains are checkpointed. */
export interface AuditConfig {
  mode: 'durable' | 'log';
  tableName: string;
  retentionDays: number;
  checkpointRecords: number;
  checkpointSeconds: number;
}

/** Settings every mode shares. */
interface CommonConfig {
  exchanges: ExchangeConfig;
  region: string;
  tableName: string;
  /** Who may do what: VAULT_POLICY(_FILE), or in embedded mode the local admin's everything. */
  policy: Policy;
  /** VAULT_POLICY_FILE, which a server reloads when it changes. */
  policyFile?: string;
  /** The principal CLI commands (rewrap) act as for the policy and the audit trail. */
  operatorPrincipal: string;
  vault: VaultSettings;
  keyCache: DataKeyCacheSettings;
  audit: AuditConfig;
}

/** KMS and DynamoDB (the server's AWS mode and Lambda). */
interface KmsConfig {
  /** Key id, ARN or alias new data keys are made under. */
  kmsKeyId: string;
  /** Key ARNs older versions may still be wrapped under; no other key is ever used. */
  previousKmsKeyIds: string[];
  /** The HMAC key keyed MACs are made under. */
  macKeyId: string;
}

/** A long-running HTTP server that verifies SigV4 itself against a credentials file. */
interface ServerConfig {
  host: string;
  port: number;
  /** Embedded mode's store and keys; in both server modes the default home of credentials and CLI audit files. */
  dataDir: string;
  sigv4: { region: string; service: string; credentialsFile: string; host?: string };
  /** How often credentials and policy files are checked for changes. */
  reloadIntervalMs: number;
}

/** `npm start` with no AWS settings: dynalite under dataDir, the local master key. */
export interface EmbeddedConfig extends CommonConfig, ServerConfig {
  mode: 'embedded';
}

/** The same server over real KMS and DynamoDB (or LocalStack through the SDK's endpoint variables). */
export interface AwsConfig extends CommonConfig, ServerConfig, KmsConfig {
  mode: 'aws';
}

/** The Lambda function: KMS and DynamoDB, identity from API Gateway, an explicit policy. */
export interface LambdaConfig extends CommonConfig, KmsConfig {
  mode: 'lambda';
}

export type Config = EmbeddedConfig | AwsConfig | LambdaConfig;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Every setting parsed, or a ConfigError listing each unknown VAULT_* name or invalid value. */
function parseEnv(env: NodeJS.ProcessEnv): z.output<typeof schema> {
  const unknown = Object.keys(env).filter((name) => name.startsWith('VAULT_') && !(name in schema.shape));
  if (unknown.length > 0) throw new ConfigError(`unknown settings: ${unknown.join(', ')}`);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Parses the environment once at start-up; throws ConfigError with every problem listed. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): Config {
  const e = parseEnv(env);
  const onLambda = Boolean(e.AWS_LAMBDA_FUNCTION_NAME);
  if (Boolean(e.VAULT_KMS_KEY_ID) !== Boolean(e.VAULT_TABLE_NAME)) {
    throw new ConfigError(
      'VAULT_KMS_KEY_ID and VAULT_TABLE_NAME go together: set both for AWS mode, neither for embedded mode',
    );
  }
  const kmsKeyId = e.VAULT_KMS_KEY_ID;
  if (onLambda) {
    // On Lambda the local master key and a credentials file would be secrets in the bundle or
    // on an ephemeral disk: refuse them, and demand an explicit policy.
    if (!kmsKeyId)
      throw new ConfigError(
        'on Lambda, VAULT_KMS_KEY_ID and VAULT_TABLE_NAME are required (the local key provider is for embedded mode only)',
      );
    if (e.VAULT_CREDENTIALS_FILE)
      throw new ConfigError('on Lambda, identity comes from API Gateway: VAULT_CREDENTIALS_FILE is refused');
    if (!e.VAULT_POLICY && !e.VAULT_POLICY_FILE)
      throw new ConfigError('on Lambda, VAULT_POLICY or VAULT_POLICY_FILE is required');
  }
  if (e.VAULT_POLICY && e.VAULT_POLICY_FILE) throw new ConfigError('set VAULT_POLICY or VAULT_POLICY_FILE, not both');
  // The admin-only default names embedded mode's local principal, which does not exist in AWS.
  if (kmsKeyId && !onLambda && !e.VAULT_POLICY && !e.VAULT_POLICY_FILE) {
    throw new ConfigError('in AWS mode, VAULT_POLICY or VAULT_POLICY_FILE is required');
  }
  if (!kmsKeyId && e.VAULT_KMS_PREVIOUS_KEY_IDS.length > 0) {
    throw new ConfigError(
      'VAULT_KMS_PREVIOUS_KEY_IDS is for AWS mode (embedded mode keeps retired keys in retired-keys/)',
    );
  }
  if (e.VAULT_VERSION_CEILING < e.VAULT_MAX_VERSIONS) {
    throw new ConfigError('VAULT_VERSION_CEILING must be at least VAULT_MAX_VERSIONS');
  }
  if (!onLambda && !e.VAULT_ALLOW_REMOTE && !LOOPBACK.test(e.VAULT_HOST)) {
    throw new ConfigError(
      `VAULT_HOST=${e.VAULT_HOST} is not loopback; the server speaks plain HTTP, so set VAULT_ALLOW_REMOTE=true only behind TLS`,
    );
  }
  const policyText = e.VAULT_POLICY ?? (e.VAULT_POLICY_FILE ? readFile(e.VAULT_POLICY_FILE) : undefined);
  const policy =
    policyText === undefined ? undefined : policyFromText(policyText, e.VAULT_POLICY_FILE ?? 'VAULT_POLICY');
  let operatorPrincipal: string;
  try {
    operatorPrincipal = normalisePrincipal(e.VAULT_OPERATOR_PRINCIPAL);
  } catch {
    throw new ConfigError('VAULT_OPERATOR_PRINCIPAL must be an IAM role, user or assumed-role ARN');
  }
  const region = e.AWS_REGION ?? 'us-east-1';
  const tableName = e.VAULT_TABLE_NAME ?? 'kms-vault';
  const auditTableName = e.VAULT_AUDIT_TABLE_NAME ?? defaultAuditTableName(tableName);
  if (!TABLE_NAME.test(auditTableName))
    throw new ConfigError(`the access trail's table name ${auditTableName} is too long: set VAULT_AUDIT_TABLE_NAME`);
  if (auditTableName === tableName)
    throw new ConfigError('VAULT_AUDIT_TABLE_NAME must name a table of its own, not VAULT_TABLE_NAME');
  let checkPolicy: CheckPolicy;
  try {
    checkPolicy = parseCheckPolicy({
      require: e.VAULT_EXCHANGE_REQUIRE,
      refuse: e.VAULT_EXCHANGE_REFUSE,
      allowUnknown: e.VAULT_EXCHANGE_ALLOW_UNKNOWN,
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const baseUrls: Partial<Record<Exchange, string>> = {};
  for (const exchange of EXCHANGES) {
    const raw = (e as Record<string, unknown>)[exchangeUrlSetting(exchange)];
    if (typeof raw !== 'string') continue;
    try {
      baseUrls[exchange] = parseExchangeBaseUrl(exchangeUrlSetting(exchange), raw);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  const common: CommonConfig = {
    exchanges: {
      // Embedded mode is for laptops and demos, often without network; AWS mode checks by default.
      check: e.VAULT_EXCHANGE_CHECK ?? (kmsKeyId ? 'required' : 'off'),
      policy: checkPolicy,
      baseUrls,
      timeoutMs: e.VAULT_EXCHANGE_TIMEOUT_MS,
    },
    region,
    tableName,
    // Without a policy a server gives its generated local admin everything (embedded mode's default).
    policy: policy ?? adminPolicy(LOCAL_ADMIN),
    ...(e.VAULT_POLICY_FILE && { policyFile: e.VAULT_POLICY_FILE }),
    operatorPrincipal,
    vault: {
      maxVersions: e.VAULT_MAX_VERSIONS,
      retentionMinAgeHours: e.VAULT_RETENTION_MIN_AGE_HOURS,
      versionCeiling: e.VAULT_VERSION_CEILING,
      rotationDays: e.VAULT_ROTATION_DAYS,
      maxWriteAttempts: e.VAULT_MAX_WRITE_ATTEMPTS,
    },
    keyCache: {
      maxAgeSeconds: e.VAULT_KEY_CACHE_MAX_AGE_SECONDS,
      maxEntries: e.VAULT_KEY_CACHE_MAX_ENTRIES,
      maxUses: e.VAULT_KEY_CACHE_MAX_USES,
    },
    audit: {
      // Embedded mode is a laptop's vault: its stdout lines are the trail unless asked for more.
      mode: e.VAULT_AUDIT ?? (kmsKeyId ? 'durable' : 'log'),
      tableName: auditTableName,
      retentionDays: e.VAULT_AUDIT_RETENTION_DAYS,
      checkpointRecords: e.VAULT_AUDIT_CHECKPOINT_RECORDS,
      checkpointSeconds: e.VAULT_AUDIT_CHECKPOINT_SECONDS,
    },
  };
  const macKeyId = e.VAULT_KMS_MAC_KEY_ID;
  if (kmsKeyId && !macKeyId)
    throw new ConfigError('VAULT_KMS_MAC_KEY_ID is required with VAULT_KMS_KEY_ID (AWS mode and Lambda)');
  if (!kmsKeyId && macKeyId)
    throw new ConfigError('VAULT_KMS_MAC_KEY_ID is for AWS mode (embedded mode keeps mac.key in the data dir)');
  const kms =
    kmsKeyId && macKeyId ? { kmsKeyId, previousKmsKeyIds: e.VAULT_KMS_PREVIOUS_KEY_IDS, macKeyId } : undefined;
  if (onLambda && kms) return { ...common, ...kms, mode: 'lambda' };
  const server: ServerConfig = {
    host: e.VAULT_HOST,
    port: e.PORT,
    dataDir: e.VAULT_DATA_DIR,
    sigv4: {
      region: e.VAULT_SIGV4_REGION ?? region,
      service: e.VAULT_SIGV4_SERVICE,
      credentialsFile: e.VAULT_CREDENTIALS_FILE ?? join(e.VAULT_DATA_DIR, 'credentials.json'),
      ...(e.VAULT_SIGV4_HOST !== undefined && { host: e.VAULT_SIGV4_HOST.toLowerCase() }),
    },
    reloadIntervalMs: e.VAULT_RELOAD_INTERVAL_MS,
  };
  return kms ? { ...common, ...server, ...kms, mode: 'aws' } : { ...common, ...server, mode: 'embedded' };
}

/**
 * A policy document's text, parsed and validated. `source` names it in the error (the file or
 * VAULT_POLICY); the PolicyError, kept as the cause, locates each problem without quoting it.
 */
export function policyFromText(text: string, source: string): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ConfigError(`the policy (${source}) is not valid JSON`);
  }
  try {
    return parsePolicy(document);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
}

/** What the `kms-vault` CLI reads from the environment: where the vault is and how to sign for it. */
export interface CliConfig {
  /** VAULT_ENDPOINT, when set. */
  endpoint?: string;
  /** The region requests are signed for (as the server checks it: VAULT_SIGV4_REGION, else AWS_REGION). */
  region: string;
  service: string;
  /** Where an embedded vault on this machine keeps its credentials. */
  credentialsFile: string;
  dataDir: string;
}

/**
 * The CLI's settings, from the same schema as the server's (so a name unknown to both is still
 * refused, and one shell can hold both), without the server's cross-checks: a CLI that only
 * talks HTTP needs no policy, key or table.
 */
export function loadCliConfig(env: NodeJS.ProcessEnv): CliConfig {
  const e = parseEnv(env);
  return {
    ...(e.VAULT_ENDPOINT && { endpoint: e.VAULT_ENDPOINT }),
    region: e.VAULT_SIGV4_REGION ?? e.AWS_REGION ?? 'us-east-1',
    service: e.VAULT_SIGV4_SERVICE,
    credentialsFile: e.VAULT_CREDENTIALS_FILE ?? join(e.VAULT_DATA_DIR, 'credentials.json'),
    dataDir: e.VAULT_DATA_DIR,
  };
}
