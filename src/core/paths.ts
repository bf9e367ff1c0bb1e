import { ValidationError } from './errors';

export const MAX_PATH_LENGTH = 512;
export const MAX_SEGMENTS = 8;
/**
 * One segment: starts with a letter or digit, so `.`, `..` and empty segments are impossible,
 * and `%` is outside the alphabet, so no encoded form of them can slip through either.
 */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why a path is invalid, or undefined when it is valid. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'path is empty';
  if (path.length > MAX_PATH_LENGTH) return `path is longer than ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('/');
  if (segments.length > MAX_SEGMENTS) return `path has more than ${MAX_SEGMENTS} segments`;
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      return 'each path segment must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}';
    }
  }
  return undefined;
}

export function assertValidPath(path: string): string {
  const problem = pathProblem(path);
  if (problem) throw new ValidationError(`invalid path: ${problem}`);
  return path;
}

/** Prefixes for listing: empty, or a path-like string that may end in `/` or mid-segment. */
export function assertValidPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = pathProblem(trimmed);
  if (problem) throw new ValidationError(`invalid prefix: ${problem}`);
  return prefix;
}
