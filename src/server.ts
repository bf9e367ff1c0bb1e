import type { Credential } from './adapters/auth/credentials-file';
import { listen } from './adapters/http/listen';
import { sessionBanner } from './adapters/http/session-banner';
import { ensurePrivateDir } from './adapters/local-files/private-files';
import { type Logger, stdoutLogger } from './adapters/log/logger';
import { compose } from './composition/compose';
import { serverApp, watchServerFiles } from './composition/server-front';
import { type AwsConfig, ConfigError, type EmbeddedConfig, loadConfig } from './config';

export interface RunningVault {
  url: string;
  config: EmbeddedConfig | AwsConfig;
  credential: Credential;
  /** True when this start made the credentials file (first run). */
  createdCredential: boolean;
  banner: string;
  close(): Promise<void>;
}

/** `npm start`: the vault as an HTTP server that verifies SigV4 itself (embedded or AWS mode). */
export async function startServer(env: NodeJS.ProcessEnv, logger: Logger = stdoutLogger): Promise<RunningVault> {
  const config = loadConfig(env);
  if (config.mode === 'lambda') throw new ConfigError('this is the server; on Lambda the handler is src/lambda.ts');
  ensurePrivateDir(config.dataDir);
  const files = watchServerFiles(config, logger);
  const credential = [...files.credentials.current().values()][0]!;
  const composed = await compose(config, { logger, policy: files.policy });
  const closeAll = async () => {
    files.close();
    await composed.close();
  };
  const app = serverApp(config, composed, files, logger);
  const { server, url } = await listen(app, config.port, config.host).catch(async (error: NodeJS.ErrnoException) => {
    await closeAll();
    if (error.code !== 'EADDRINUSE') throw error;
    throw new Error(
      `port ${config.port} on ${config.host} is in use: stop what holds it, or choose another port, e.g. PORT=8081 npm start (PORT=0 picks a free one)`,
    );
  });
  const created = files.createdCredentials;
  const banner = sessionBanner({
    url,
    describe: composed.describe,
    sigv4: config.sigv4,
    credential,
    createdCredential: created,
  });
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeAll();
  };
  return { url, config, credential, createdCredential: created, banner, close };
}

if (require.main === module) {
  startServer(process.env).then(
    (vault) => {
      process.stderr.write(`${vault.banner}\n`);
      const stop = () => void vault.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      process.stderr.write(`kms-vault failed to start: ${error.message}\n`);
      process.exit(1);
    },
  );
}
