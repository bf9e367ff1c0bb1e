import { statSync } from 'node:fs';
import type { Logger } from '../log/logger';

export interface Reloading<T> {
  /** The last content that loaded. */
  current(): T;
  /** Looks at the file now (the timer does this every interval). */
  check(): void;
  close(): void;
}

export interface ReloadOptions<T> {
  /** Reads and validates the file; throws when it is not acceptable. */
  load: (file: string) => T;
  /** What the file held when the server started (already validated). */
  initial: T;
  intervalMs: number;
  logger: Logger;
  /** For the log line: "credentials", "policy". */
  what: string;
  /**
   * Turns a refusal into a reason that is safe to log: never the file's content (a credentials
   * file holds secrets; a policy names principals). Default: "invalid".
   */
  reason?: (error: unknown) => string;
}

/** The file's identity and version: a rename over it changes the inode, an edit in place the size or times. */
function signature(file: string): string {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/**
 * A file the server reads at start and again whenever it changes, found by a stat on a short
 * interval (fs.watch misses a rename over the file on some platforms and fires twice on
 * others). A change that loads replaces the content; one that does not is refused: the old
 * content stays in force and one log line says so, once per change, without the content.
 */
export function reloadingFile<T>(file: string, options: ReloadOptions<T>): Reloading<T> {
  let content = options.initial;
  let seen = signature(file);
  const check = () => {
    const now = signature(file);
    if (now === seen) return;
    seen = now;
    try {
      content = options.load(file);
      options.logger.write({ type: 'reload', file, what: options.what, outcome: 'loaded' });
    } catch (error) {
      options.logger.write({
        type: 'reload',
        file,
        what: options.what,
        outcome: 'refused',
        reason: options.reason?.(error) ?? 'invalid',
        kept: 'the previous version stays in force',
      });
    }
  };
  const timer = setInterval(check, options.intervalMs);
  // Never the reason a process stays alive.
  timer.unref();
  return { current: () => content, check, close: () => clearInterval(timer) };
}
