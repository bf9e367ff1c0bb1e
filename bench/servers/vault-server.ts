/**
 * Child process: the real embedded vault (`startServer`: dynalite on disk under a fresh data
 * dir, local keys, SigV4, the full express app) on 127.0.0.1 and a random port. Request logs
 * go to a no-op logger so the benchmark measures the vault, not a terminal.
 */
import { startServer } from '../../src/server';
import { reportStartFailure, serveUntilStopped } from '../lib/child';

export interface VaultServerInfo {
  url: string;
  region: string;
  credential: { accessKeyId: string; secretAccessKey: string; principal: string };
}

startServer(process.env, { write() {} })
  .then((vault) => {
    const { accessKeyId, secretAccessKey, principal } = vault.credential;
    serveUntilStopped<VaultServerInfo>(
      { url: vault.url, region: vault.config.sigv4.region, credential: { accessKeyId, secretAccessKey, principal } },
      vault.close,
    );
  })
  .catch(reportStartFailure);
