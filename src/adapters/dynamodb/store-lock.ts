import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** dynalite's LevelDB store is locked by the process that opened it (usually `npm start`). */
export class StoreInUseError extends Error {
  constructor(readonly dir: string) {
    super(
      `the embedded store ${dir} is open in another process: stop \`npm start\` first (dynalite's on-disk store can be opened by one process at a time)`,
    );
    this.name = 'StoreInUseError';
  }
}

export function isLockError(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === 'LEVEL_LOCKED') return true;
    if (typeof e.message === 'string' && /\block\b.*\bLOCK\b|Resource temporarily unavailable/.test(e.message))
      return true;
  }
  return false;
}

/**
 * Opens dynalite's LevelDB directory for a moment to find out whether another process holds
 * it. dynalite itself only reports the lock later as an uncaught "Database is closed" from
 * inside a request, which cannot be told apart or caught cleanly; probing first can. Uses the
 * `level` package dynalite itself depends on.
 */
export async function assertStoreFree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  let Level: new (
    location: string,
  ) => { open(options?: { createIfMissing?: boolean }): Promise<void>; close(): Promise<void> };
  try {
    Level = createRequire(require.resolve('dynalite'))('level').Level;
  } catch {
    return; // cannot probe; dynalite will fail later with an uncaught error
  }
  const db = new Level(dir);
  try {
    await db.open({ createIfMissing: false });
  } catch (error) {
    if (isLockError(error)) throw new StoreInUseError(dir);
    return; // not a store yet, or damaged: let dynalite create or report it
  }
  await db.close();
}
