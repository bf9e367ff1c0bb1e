import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { type Credential, ensureCredentialsFile, loadCredentialsFile } from '../adapters/auth/credentials-file';
import { sigv4Authenticator } from '../adapters/auth/sigv4-authenticator';
import { createApp } from '../adapters/http/app';
import { type Reloading, reloadingFile } from '../adapters/local-files/reloading-file';
import type { Logger } from '../adapters/log/logger';
import { prometheusText } from '../adapters/metrics/prometheus';
import { RequestCounts } from '../adapters/metrics/request-counts';
import { type AwsConfig, type EmbeddedConfig, LOCAL_ADMIN, policyFromText } from '../config';
import { livePolicy, type Policy, PolicyError } from '../core/policy';
import type { Composition } from './assemble';

export interface ServerFiles {
  /** The policy in force: VAULT_POLICY_FILE's last valid content, or the config's fixed policy. */
  policy: Policy;
  credentials: Reloading<Map<string, Credential>>;
  /** True when this start made the credentials file (first run). */
  createdCredentials: boolean;
  close(): void;
}

/** Why a policy file was refused, by location only: the file names principals. */
function policyRefusal(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof PolicyError) return `invalid policy at ${cause.locations.join(', ')}`;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'the file is missing';
  return /not valid JSON/.test((error as Error).message) ? 'not valid JSON' : 'unreadable';
}

/**
 * The files a server reads its callers from: the credentials (made with one admin credential on
 * first run) and the policy file, each reloaded when it changes, so `kms-vault credentials add`
 * and an edited policy take effect without a restart.
 */
export function watchServerFiles(config: EmbeddedConfig | AwsConfig, logger: Logger): ServerFiles {
  const { credentialsFile } = config.sigv4;
  const { credentials, created } = ensureCredentialsFile(credentialsFile, LOCAL_ADMIN);
  const every = { intervalMs: config.reloadIntervalMs, logger };
  const watchedCredentials = reloadingFile(credentialsFile, {
    ...every,
    what: 'credentials',
    initial: credentials,
    load: loadCredentialsFile,
    // Its messages name fields and positions, never values (credentials-file.ts).
    reason: (error) => (error as Error).message,
  });
  const watchedPolicy = config.policyFile
    ? reloadingFile(config.policyFile, {
        ...every,
        what: 'policy',
        initial: config.policy,
        load: (file) => policyFromText(readFileSync(file, 'utf8'), file),
        reason: policyRefusal,
      })
    : undefined;
  return {
    policy: watchedPolicy ? livePolicy(watchedPolicy) : config.policy,
    credentials: watchedCredentials,
    createdCredentials: created,
    close: () => {
      watchedCredentials.close();
      watchedPolicy?.close();
    },
  };
}

/** The HTTP app of a server: SigV4 verified against the live credentials, counts at /metrics. */
export function serverApp(
  config: EmbeddedConfig | AwsConfig,
  composed: Composition,
  files: ServerFiles,
  logger: Logger,
): Express {
  const { region, service, host } = config.sigv4;
  const requests = new RequestCounts();
  const lookup = (id: string) => files.credentials.current().get(id);
  return createApp({
    vault: composed.vault,
    authenticate: sigv4Authenticator({ lookup, region, service, ...(host !== undefined && { host }) }),
    logger,
    policy: files.policy,
    observe: requests.observe,
    metricsText: () => prometheusText(requests.snapshot(), composed.keys.counts()),
  });
}
