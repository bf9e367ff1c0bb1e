import { formatDuration } from '../../src/cli/progress';

describe('formatDuration', () => {
  it.each([
    [850, '0.9s'],
    [42_000, '42s'],
    [185_000, '3m05s'],
    [3_720_000, '1h02m'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
