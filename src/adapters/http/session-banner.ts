import { resolve } from 'node:path';
import type { Credential } from '../auth/credentials-file';

export interface BannerInput {
  url: string;
  /** e.g. "embedded mode, data in .vault/" */
  describe: string;
  sigv4: { region: string; service: string; credentialsFile: string };
  credential: Credential;
  /** A credential made on this start is printed whole; an older one is read from its file by the command. */
  createdCredential: boolean;
}

/** What `npm start` prints: a session a person can paste. */
export function sessionBanner(input: BannerInput): string {
  const { credential, url, sigv4 } = input;
  const scope = `aws:amz:${sigv4.region}:${sigv4.service}`;
  const user = input.createdCredential
    ? `${credential.accessKeyId}:${credential.secretAccessKey}`
    : `${credential.accessKeyId}:$(node -p 'require(${JSON.stringify(resolve(sigv4.credentialsFile))}).credentials[0].secretAccessKey')`;
  const path = 'exchange-keys/user-1842/binance-main';
  return [
    `kms-vault listening on ${url} (${input.describe})`,
    input.createdCredential
      ? `Created admin credential ${credential.accessKeyId} for ${credential.principal} in ${sigv4.credentialsFile} (mode 0600).`
      : `Credentials: ${sigv4.credentialsFile} (admin ${credential.accessKeyId} = ${credential.principal}).`,
    '',
    'Write a secret:',
    `  curl -s --aws-sigv4 "${scope}" --user "${user}" -X PUT -H 'content-type: application/json' \\`,
    `    -d '{"value":{"apiKey":"demo-key","secretKey":"demo-secret"}}' ${url}/v1/secrets/${path}`,
    'Read it back:',
    `  curl -s --aws-sigv4 "${scope}" --user "${user}" ${url}/v1/secrets/${path}`,
    '',
  ].join('\n');
}
