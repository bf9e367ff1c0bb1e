import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { DataKeyCacheSettings } from './core/data-key-cache';
import { adminPolicy, type Policy, parsePolicy } from './core/policy';
import { normalisePrincipal } from './core/principal';
import type { VaultSettings } from './core/vault';

/** The principal of the credential `npm start` generates on first run, and the CLI's default operator. */
export const LOCAL_ADMIN = 'arn:aws:iam::000000000000:user/vault-admin';

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * Every setting the vault reads, from the environment only. Unknown VAULT_* variables are an
 * error (a typo must not silently fall back to a default). There is no setting that turns
 * encryption or authentication off.
 */
const schema = z.object({
  /** Port for `npm start`. */
  PORT: int(0, 65535, 8080),
  /** Interface for `npm start`; loopback unless VAULT_ALLOW_REMOTE is true. */
  VAULT_HOST: z.string().default('127.0.0.1'),
  /** Embedded mode serves plain HTTP: binding beyond loopback must be asked for explicitly. */
  VAULT_ALLOW_REMOTE: z.stringbool().default(false),
  /** Embedded mode's data: dynalite files, master key, credentials. */
  VAULT_DATA_DIR: z.string().min(1).default('.vault'),
  /** KMS key id, ARN or alias for new data keys. With VAULT_TABLE_NAME, selects AWS mode. */
  VAULT_KMS_KEY_ID: z.string().min(1).optional(),
  /** DynamoDB table. With VAULT_KMS_KEY_ID, selects AWS mode. */
  VAULT_TABLE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a valid DynamoDB table name')
    .optional(),
  AWS_REGION: z.string().min(1).optional(),
  /** Policy as inline JSON. */
  VAULT_POLICY: z.string().min(1).optional(),
  /** Policy as a JSON file. */
  VAULT_POLICY_FILE: z.string().min(1).optional(),
  /** Versions kept per secret (older ones are destroyed). */
  VAULT_MAX_VERSIONS: int(1, 100, 10),
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
  VAULT_SIGV4_REGION: z.string().min(1).optional(),
  VAULT_SIGV4_SERVICE: z.string().min(1).default('execute-api'),
  /**
   * The vault's name as callers send it in Host (`vault.example.com`, `127.0.0.1:8080`). When
   * set, a request signed for another host is refused; unset, any signed host is accepted.
   */
  VAULT_SIGV4_HOST: z
    .string()
    .regex(/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/, 'must be a host name or address, with an optional :port')
    .optional(),
  /** SigV4 credentials file (embedded mode and non-Lambda deployments). */
  VAULT_CREDENTIALS_FILE: z.string().min(1).optional(),
  /** The principal `npm run rewrap` acts as (its policy needs admin on the paths it walks). */
  VAULT_OPERATOR_PRINCIPAL: z.string().min(1).default(LOCAL_ADMIN),
  /** Set by the Lambda runtime. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

/** Settings every mode shares. */
interface CommonConfig {
  region: string;
  tableName: string;
  /** Who may do what: VAULT_POLICY(_FILE), or in embedded mode the local admin's everything. */
  policy: Policy;
  /** The principal CLI commands (rewrap) act as for the policy and the audit trail. */
  operatorPrincipal: string;
  vault: VaultSettings;
  keyCache: DataKeyCacheSettings;
}

/** A long-running HTTP server that verifies SigV4 itself against a credentials file. */
interface ServerConfig {
  host: string;
  port: number;
  /** Embedded mode's store and keys; in both server modes the default home of credentials and CLI audit files. */
  dataDir: string;
  sigv4: { region: string; service: string; credentialsFile: string; host?: string };
}

/** `npm start` with no AWS settings: dynalite under dataDir, the local master key. */
export interface EmbeddedConfig extends CommonConfig, ServerConfig {
  mode: 'embedded';
}

/** The same server over real KMS and DynamoDB (or LocalStack through the SDK's endpoint variables). */
export interface AwsConfig extends CommonConfig, ServerConfig {
  mode: 'aws';
  kmsKeyId: string;
}

/** The Lambda function: KMS and DynamoDB, identity from API Gateway, an explicit policy. */
export interface LambdaConfig extends CommonConfig {
  mode: 'lambda';
  kmsKeyId: string;
}

export type Config = EmbeddedConfig | AwsConfig | LambdaConfig;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Parses the environment once at start-up; throws ConfigError with every problem listed. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): Config {
  const unknown = Object.keys(env).filter((name) => name.startsWith('VAULT_') && !(name in schema.shape));
  if (unknown.length > 0) throw new ConfigError(`unknown settings: ${unknown.join(', ')}`);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
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
  if (!onLambda && !e.VAULT_ALLOW_REMOTE && !LOOPBACK.test(e.VAULT_HOST)) {
    throw new ConfigError(
      `VAULT_HOST=${e.VAULT_HOST} is not loopback; the server speaks plain HTTP, so set VAULT_ALLOW_REMOTE=true only behind TLS`,
    );
  }
  let policy: Policy | undefined;
  const policyText = e.VAULT_POLICY ?? (e.VAULT_POLICY_FILE ? readFile(e.VAULT_POLICY_FILE) : undefined);
  if (policyText !== undefined) {
    let document: unknown;
    try {
      document = JSON.parse(policyText);
    } catch {
      throw new ConfigError(`the policy (${e.VAULT_POLICY_FILE ?? 'VAULT_POLICY'}) is not valid JSON`);
    }
    try {
      policy = parsePolicy(document);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  let operatorPrincipal: string;
  try {
    operatorPrincipal = normalisePrincipal(e.VAULT_OPERATOR_PRINCIPAL);
  } catch {
    throw new ConfigError('VAULT_OPERATOR_PRINCIPAL must be an IAM role, user or assumed-role ARN');
  }
  const region = e.AWS_REGION ?? 'us-east-1';
  const common: CommonConfig = {
    region,
    tableName: e.VAULT_TABLE_NAME ?? 'kms-vault',
    // Without a policy a server gives its generated local admin everything (embedded mode's default).
    policy: policy ?? adminPolicy(LOCAL_ADMIN),
    operatorPrincipal,
    vault: {
      maxVersions: e.VAULT_MAX_VERSIONS,
      rotationDays: e.VAULT_ROTATION_DAYS,
      maxWriteAttempts: e.VAULT_MAX_WRITE_ATTEMPTS,
    },
    keyCache: {
      maxAgeSeconds: e.VAULT_KEY_CACHE_MAX_AGE_SECONDS,
      maxEntries: e.VAULT_KEY_CACHE_MAX_ENTRIES,
      maxUses: e.VAULT_KEY_CACHE_MAX_USES,
    },
  };
  if (onLambda && kmsKeyId) return { ...common, mode: 'lambda', kmsKeyId };
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
  };
  return kmsKeyId ? { ...common, ...server, mode: 'aws', kmsKeyId } : { ...common, ...server, mode: 'embedded' };
}
