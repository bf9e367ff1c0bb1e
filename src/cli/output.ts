import type { CliIo } from './command';

/** JSON for people on a terminal (indented), for programs otherwise (one line). */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, io.stdout.isTTY ? 2 : undefined)}\n`);
}

/** Text as it is; a newline only on a terminal, so `$(...)` and files get the exact bytes. */
export function writeExact(io: CliIo, text: string): void {
  io.stdout.write(io.stdout.isTTY ? `${text}\n` : text);
}

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
