import { execFileSync } from 'node:child_process';

/**
 * curl is what the README's session and the embedded server's banner tell people to use, so
 * the tests that drive it must run. Without it they fail with this message instead of being
 * skipped: a skipped suite reports green while proving nothing. `.ci/run` installs it.
 */
export function requireCurl(): void {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
  } catch (cause) {
    throw new Error('curl is required: install it (e.g. apt-get install -y curl) to run these tests', { cause });
  }
}
